using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Data;

/// <summary>The values of one pass-through column for the rows of a batch, read ahead and served later in order.</summary>
internal abstract class ColumnBuffer
{
    /// <summary>A buffer for <paramref name="column"/> of <paramref name="source"/> holding <paramref name="capacity"/> rows.</summary>
    public static ColumnBuffer Create(DataViewRow source, DataViewSchema.Column column, int capacity)
    {
        var raw = column.Type.RawType;
        var type = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(VectorColumnBuffer<>).MakeGenericType(raw.GetGenericArguments()[0])
            : typeof(ValueColumnBuffer<>).MakeGenericType(raw);
        return (ColumnBuffer)Activator.CreateInstance(type, source, column, capacity)!;
    }

    /// <summary>Reads the source's current row into <paramref name="slot"/>.</summary>
    public abstract void Fetch(int slot);

    /// <summary>A getter serving the slot <paramref name="slot"/>() returns.</summary>
    public abstract Delegate Getter(Func<int> slot);
}
