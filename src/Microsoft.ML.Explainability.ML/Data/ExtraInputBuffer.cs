using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.ML.Data;

/// <summary>
/// One extra model input of a multi-input model, read from its column row by row into one batch buffer
/// [capacity, …] and handed to the explainer as an <see cref="InputTensor"/> (held fixed for the row).
/// </summary>
internal abstract class ExtraInputBuffer
{
    /// <summary>The buffer for <paramref name="column"/> of <paramref name="source"/>, of the input's element type.</summary>
    public static ExtraInputBuffer Create(DataViewRow source, ExtraInputColumn column, int capacity) => column.Type switch
    {
        TensorElementType.Float => new Typed<float>(source, column, capacity, (d, s) => InputTensor.Float(new FloatTensor(d, s))),
        TensorElementType.Double => new Typed<double>(source, column, capacity, InputTensor.Double),
        TensorElementType.Int64 => new Typed<long>(source, column, capacity, InputTensor.Int64),
        TensorElementType.Int32 => new Typed<int>(source, column, capacity, InputTensor.Int32),
        _ => throw new InvalidOperationException($"Model input '{column.Input}' is {column.Type}."),
    };

    /// <summary>Copies the source's current row into <paramref name="slot"/>.</summary>
    public abstract void Add(int slot);

    /// <summary>The first <paramref name="count"/> rows as the input's tensor.</summary>
    public abstract InputTensor Tensor(int count);

    private sealed class Typed<T> : ExtraInputBuffer
        where T : unmanaged
    {
        private readonly ValueGetter<VBuffer<T>> _getter;
        private readonly Func<T[], long[], InputTensor> _make;
        private readonly ExtraInputColumn _column;
        private readonly T[] _data;
        private readonly int _rowLength;
        private VBuffer<T> _scratch;

        public Typed(DataViewRow source, ExtraInputColumn column, int capacity, Func<T[], long[], InputTensor> make)
        {
            _column = column;
            _make = make;
            _rowLength = checked((int)column.Dims.Aggregate(1L, (a, b) => a * b));
            _data = new T[capacity * _rowLength];
            _getter = source.GetGetter<VBuffer<T>>(source.Schema[column.Index]);
        }

        public override void Add(int slot)
        {
            _getter(ref _scratch);
            _scratch.CopyTo(_data.AsSpan(slot * _rowLength, _rowLength));
        }

        public override InputTensor Tensor(int count) =>
            _make(_data.AsSpan(0, count * _rowLength).ToArray(), [count, .. _column.Dims]);
    }
}

/// <summary>A column feeding one of a multi-input model's other inputs: the input, the column's index, the input's element type and per-row dimensions.</summary>
internal sealed record ExtraInputColumn(string Input, string Column, int Index, TensorElementType Type, long[] Dims);
