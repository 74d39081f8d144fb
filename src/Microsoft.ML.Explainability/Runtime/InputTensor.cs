using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>
/// A dense tensor of any element type an explained model's <em>other</em> inputs may have — float32, float64, int64 or
/// int32 — in row-major order, first dimension the batch: what a caller feeds to the inputs of a multi-input model
/// that are not explained (metadata, a second image, token ids, a prompt embedding). Explainers hold these inputs
/// fixed: every copy of a row an explainer makes (noisy samples, path points, masked images) is fed its row's values.
/// </summary>
public sealed class InputTensor
{
    private readonly Array _data;

    private InputTensor(Array data, long[] shape, TensorElementType elementType)
    {
        FloatTensor.CheckShape(shape, data.Length, nameof(data));
        _data = data;
        Shape = shape;
        ElementType = elementType;
    }

    /// <summary>A float32 input (not copied).</summary>
    public static InputTensor Float(FloatTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new InputTensor(tensor.Data, tensor.Shape, TensorElementType.Float);
    }

    /// <summary>A float64 input (not copied).</summary>
    public static InputTensor Double(double[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new InputTensor(data, shape, TensorElementType.Double);
    }

    /// <summary>An int64 input (not copied): token ids, category indices.</summary>
    public static InputTensor Int64(long[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new InputTensor(data, shape, TensorElementType.Int64);
    }

    /// <summary>An int32 input (not copied).</summary>
    public static InputTensor Int32(int[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new InputTensor(data, shape, TensorElementType.Int32);
    }

    /// <summary>The element types an input tensor can hold.</summary>
    public static IReadOnlyList<TensorElementType> SupportedElementTypes { get; } =
        [TensorElementType.Float, TensorElementType.Double, TensorElementType.Int64, TensorElementType.Int32];

    /// <summary>The element type.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The dimensions.</summary>
#pragma warning disable CA1819 // The shape is the tensor's: exposing it avoids copies.
    public long[] Shape { get; }
#pragma warning restore CA1819

    /// <summary>The rank.</summary>
    public int Rank => Shape.Length;

    /// <summary>The number of elements.</summary>
    public int Length => _data.Length;

    /// <summary>The size of the first (batch) dimension.</summary>
    public int BatchSize => Rank == 0 ? 1 : checked((int)Shape[0]);

    /// <summary>Elements per batch row.</summary>
    public int RowLength => Rank == 0 ? 1 : checked((int)Shape.Skip(1).Aggregate(1L, (a, b) => a * b));

    /// <summary>The shape as text, e.g. "[8, 10]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>The values as float32 when <see cref="ElementType"/> is float32, else null.</summary>
    public FloatTensor? AsFloat => _data is float[] f ? new FloatTensor(f, Shape) : null;

    /// <inheritdoc/>
    public override string ToString() => $"InputTensor<{ElementType}>{ShapeText}";

    /// <summary>The first NaN or ±∞ of a floating-point tensor as (row, index in row), or null.</summary>
    internal (int Row, int Index, float Value)? FirstNonFinite()
    {
        int rowLength = Math.Max(1, RowLength);
        switch (_data)
        {
            case float[] f:
                for (int i = 0; i < f.Length; i++)
                {
                    if (!float.IsFinite(f[i]))
                    {
                        return (i / rowLength, i % rowLength, f[i]);
                    }
                }

                break;
            case double[] d:
                for (int i = 0; i < d.Length; i++)
                {
                    if (!double.IsFinite(d[i]))
                    {
                        return (i / rowLength, i % rowLength, (float)d[i]);
                    }
                }

                break;
        }

        return null;
    }

    /// <summary>The rows listed in <paramref name="rows"/>, in that order (a row may repeat), copied.</summary>
    internal InputTensor SelectRows(IReadOnlyList<int> rows)
    {
        int rowLength = RowLength;
        var data = Array.CreateInstance(_data.GetType().GetElementType()!, rows.Count * rowLength);
        for (int i = 0; i < rows.Count; i++)
        {
            Array.Copy(_data, rows[i] * rowLength, data, i * rowLength, rowLength);
        }

        return new InputTensor(data, [rows.Count, .. Shape.Skip(1)], ElementType);
    }

    /// <summary>Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>), copied.</summary>
    internal InputTensor Rows(int start, int count) =>
        start == 0 && count == BatchSize ? this : SelectRows(Enumerable.Range(start, count).ToArray());

    /// <summary>An ONNX Runtime value over the data (pinned, not copied); the caller disposes it.</summary>
    internal OrtValue ToOrtValue() => _data switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory(f, Shape),
        double[] d => OrtValue.CreateTensorValueFromMemory(d, Shape),
        long[] l => OrtValue.CreateTensorValueFromMemory(l, Shape),
        int[] i => OrtValue.CreateTensorValueFromMemory(i, Shape),
        _ => throw new InvalidOperationException($"No ONNX Runtime value for {ElementType}."),
    };
}
