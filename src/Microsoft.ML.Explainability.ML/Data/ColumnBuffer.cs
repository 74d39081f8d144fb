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

/// <summary>Scalars and references (text, images…): each fetch starts from a default value so that no value read earlier is reused or disposed by the source's getter.</summary>
internal sealed class ValueColumnBuffer<T> : ColumnBuffer
{
    private readonly ValueGetter<T> _getter;
    private readonly T[] _values;

    public ValueColumnBuffer(DataViewRow source, DataViewSchema.Column column, int capacity)
    {
        _getter = source.GetGetter<T>(column);
        _values = new T[capacity];
    }

    public override void Fetch(int slot)
    {
        T value = default!;
        _getter(ref value);
        _values[slot] = value;
    }

    public override Delegate Getter(Func<int> slot) => (ValueGetter<T>)((ref T destination) => destination = _values[slot()]);
}

/// <summary>Vectors: each slot keeps its own buffers (reused from batch to batch); values are copied out to the consumer.</summary>
internal sealed class VectorColumnBuffer<T> : ColumnBuffer
{
    private readonly ValueGetter<VBuffer<T>> _getter;
    private readonly VBuffer<T>[] _values;

    public VectorColumnBuffer(DataViewRow source, DataViewSchema.Column column, int capacity)
    {
        _getter = source.GetGetter<VBuffer<T>>(column);
        _values = new VBuffer<T>[capacity];
    }

    public override void Fetch(int slot) => _getter(ref _values[slot]);

    public override Delegate Getter(Func<int> slot) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> destination) => _values[slot()].CopyTo(ref destination));
}
