using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Data;

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
