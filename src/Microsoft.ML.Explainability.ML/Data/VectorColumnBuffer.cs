using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Data;

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
