using System.Globalization;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>
/// A dense float32 tensor in row-major (C) order: the data handed to and returned by the explanation engine.
/// The first dimension is the batch.
/// </summary>
public sealed class FloatTensor
{
    /// <summary>Wraps <paramref name="data"/> (not copied) with <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The element count of the shape differs from the data length, or a dimension is negative.</exception>
    public FloatTensor(float[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(shape, data.Length, nameof(data));
        Data = data;
        Shape = shape;
    }

    /// <summary>Checks that <paramref name="shape"/> has no negative dimension and holds <paramref name="length"/> elements (every tensor type's rule); <paramref name="dataName"/> is the data argument's name.</summary>
    /// <exception cref="ArgumentException">A negative dimension, or another element count.</exception>
    internal static void CheckShape(long[] shape, int length, string dataName)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0))
        {
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
        }

        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != length)
        {
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] holds {count} elements but {length} values were given.", dataName);
        }
    }

    /// <summary>A zero tensor of the given shape.</summary>
    public static FloatTensor Zeros(params long[] shape) => new(new float[checked((int)shape.Aggregate(1L, (a, b) => a * b))], shape);

    /// <summary>The values, row-major.</summary>
#pragma warning disable CA1819 // The buffer is the tensor: exposing it avoids copies on the hot path.
    public float[] Data { get; }

    /// <summary>The dimensions.</summary>
    public long[] Shape { get; }
#pragma warning restore CA1819

    /// <summary>The rank.</summary>
    public int Rank => Shape.Length;

    /// <summary>The number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The size of the first (batch) dimension.</summary>
    public int BatchSize => Rank == 0 ? 1 : checked((int)Shape[0]);

    /// <summary>Elements per batch row.</summary>
    public int RowLength => Rank == 0 ? 1 : checked((int)Shape.Skip(1).Aggregate(1L, (a, b) => a * b));

    /// <summary>The element at a multi-index.</summary>
    public float this[params long[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    /// <summary>Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) of the batch, copied.</summary>
    public FloatTensor Rows(int start, int count)
    {
        var data = Data.AsSpan(start * RowLength, count * RowLength).ToArray();
        return new FloatTensor(data, [count, .. Shape.Skip(1)]);
    }

    /// <summary>One batch row as a span (no copy).</summary>
    public Span<float> Row(int row) => Data.AsSpan(row * RowLength, RowLength);

    /// <summary>Concatenates tensors along the batch dimension.</summary>
    public static FloatTensor ConcatRows(IReadOnlyList<FloatTensor> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 1)
        {
            return parts[0];
        }

        var tail = parts[0].Shape.Skip(1).ToArray();
        var data = new float[parts.Sum(p => p.Length)];
        int offset = 0;
        long rows = 0;
        foreach (var part in parts)
        {
            if (!part.Shape.Skip(1).SequenceEqual(tail))
            {
                throw new ArgumentException("Tensors concatenated along the batch must agree in every other dimension.", nameof(parts));
            }

            part.Data.CopyTo(data, offset);
            offset += part.Length;
            rows += part.Shape[0];
        }

        return new FloatTensor(data, [rows, .. tail]);
    }

    /// <summary>The shape as text, e.g. "[8, 3, 224, 224]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"FloatTensor{ShapeText}";

    private int Offset(long[] index)
    {
        if (index.Length != Rank)
        {
            throw new ArgumentException($"Index of rank {index.Length} used on a tensor of rank {Rank}.", nameof(index));
        }

        long offset = 0;
        for (int d = 0; d < Rank; d++)
        {
            if (index[d] < 0 || index[d] >= Shape[d])
            {
                throw new ArgumentOutOfRangeException(nameof(index), $"Index {index[d]} is outside dimension {d} of size {Shape[d]}.");
            }

            offset = (offset * Shape[d]) + index[d];
        }

        return checked((int)offset);
    }
}
