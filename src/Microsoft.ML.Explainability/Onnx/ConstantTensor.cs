using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using DataType = Microsoft.ML.Explainability.Onnx.Protobuf.TensorProto.Types.DataType;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// A constant tensor held by <see cref="ConstantFolder"/>: its element type, its dimensions, and its elements, read
/// from the stored <see cref="TensorProto"/> only when an operation needs them (a reshaped or renamed weight keeps its
/// stored bytes). Floating-point elements are held as doubles, integer and boolean elements as int64, so large integers
/// (INT64_MAX in Slice ends) stay exact.
/// </summary>
internal sealed class ConstantTensor
{
    private readonly TensorProto? _source;
    private double[]? _reals;
    private long[]? _integers;

    private ConstantTensor(DataType type, long[] dims, TensorProto? source, double[]? reals, long[]? integers)
    {
        Type = type;
        Dims = dims;
        _source = source;
        _reals = reals;
        _integers = integers;
    }

    public DataType Type { get; }

    public long[] Dims { get; }

    public int Rank => Dims.Length;

    public long Count => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Whether the elements are integers or booleans (held as int64).</summary>
    public bool IsIntegral => IsIntegralType(Type);

    /// <summary>The elements of a floating-point tensor.</summary>
    public double[] Reals => _reals ??= IsIntegral ? Integers.Select(v => (double)v).ToArray() : TensorProtos.ToDoubles(_source!);

    /// <summary>The elements of an integer or boolean tensor (of a floating-point tensor: truncated toward zero).</summary>
    public long[] Integers => _integers ??= IsIntegral ? TensorProtos.ToInt64s(_source!) : Reals.Select(v => (long)v).ToArray();

    public static bool IsSupported(DataType type) => type is DataType.Float or DataType.Double or DataType.Float16
        or DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8 or DataType.Uint8 or DataType.Uint16 or DataType.Bool;

    public static bool IsIntegralType(DataType type) => type is DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8
        or DataType.Uint8 or DataType.Uint16 or DataType.Bool;

    /// <summary>A constant read lazily from a stored tensor, or null when its element type is not supported or it refers to external data.</summary>
    public static ConstantTensor? FromProto(TensorProto proto)
    {
        var type = (DataType)proto.DataType;
        if (!IsSupported(type) || proto.DataLocation == TensorProto.Types.DataLocation.External || proto.Segment is not null)
        {
            return null;
        }

        return new ConstantTensor(type, proto.Dims.ToArray(), proto, null, null);
    }

    public static ConstantTensor OfReals(DataType type, long[] dims, double[] values) =>
        IsIntegralType(type) ? OfIntegers(type, dims, values.Select(v => (long)v).ToArray()) : new(type, dims, null, values, null);

    public static ConstantTensor OfIntegers(DataType type, long[] dims, long[] values) =>
        IsIntegralType(type) ? new(type, dims, null, null, type == DataType.Bool ? values.Select(v => v != 0 ? 1L : 0L).ToArray() : values)
        : new(type, dims, null, values.Select(v => (double)v).ToArray(), null);

    /// <summary>The same elements under other dimensions (same count).</summary>
    public ConstantTensor WithDims(long[] dims)
    {
        if (dims.Aggregate(1L, (a, d) => a * d) != Count)
        {
            throw new ArgumentException($"Cannot view {Count} elements as [{string.Join(", ", dims)}].");
        }

        return new ConstantTensor(Type, dims, _source, _reals, _integers);
    }

    /// <summary>Element <c>source[i]</c> of this tensor at position i of a new tensor of dimensions <paramref name="dims"/>.</summary>
    public ConstantTensor Select(long[] dims, int[] source) => IsIntegral
        ? new ConstantTensor(Type, dims, null, null, source.Select(i => Integers[i]).ToArray())
        : new ConstantTensor(Type, dims, null, source.Select(i => Reals[i]).ToArray(), null);

    /// <summary>The tensor converted to element type <paramref name="type"/> (ONNX Cast: floating to integer truncates toward zero, to bool tests ≠ 0).</summary>
    public ConstantTensor CastTo(DataType type)
    {
        if (type == Type)
        {
            return this;
        }

        if (IsIntegralType(type))
        {
            return OfIntegers(type, Dims, IsIntegral ? Integers : Reals.Select(v => type == DataType.Bool ? (v != 0 ? 1L : 0L) : (long)Math.Truncate(v)).ToArray());
        }

        // Round through the narrower type so that a later read sees the value a float16/float32 would hold.
        var values = IsIntegral ? Integers.Select(v => (double)v).ToArray() : Reals;
        return new ConstantTensor(type, Dims, null, values.Select(v => Round(type, v)).ToArray(), null);
    }

    /// <summary>Rounds a double to the precision of a floating-point element type.</summary>
    public static double Round(DataType type, double value) => type switch
    {
        DataType.Float => (float)value,
        DataType.Float16 => (double)(Half)value,
        _ => value,
    };

    /// <summary>The constant as a stored tensor named <paramref name="name"/>.</summary>
    public TensorProto ToProto(string name)
    {
        if (_source is not null && _reals is null && _integers is null)
        {
            var copy = _source.Clone();
            copy.Name = name;
            copy.Dims.Clear();
            copy.Dims.AddRange(Dims);
            return copy;
        }

        var t = new TensorProto { Name = name, DataType = (int)Type };
        t.Dims.AddRange(Dims);
        t.RawData = Type switch
        {
            DataType.Float => Bytes(Reals.Select(v => (float)v).ToArray()),
            DataType.Double => Bytes(Reals),
            DataType.Float16 => Bytes(Reals.Select(v => (Half)v).ToArray()),
            DataType.Int64 => Bytes(Integers),
            DataType.Int32 => Bytes(Integers.Select(v => (int)v).ToArray()),
            DataType.Int16 => Bytes(Integers.Select(v => (short)v).ToArray()),
            DataType.Uint16 => Bytes(Integers.Select(v => (ushort)v).ToArray()),
            DataType.Int8 => Bytes(Integers.Select(v => (sbyte)v).ToArray()),
            DataType.Uint8 or DataType.Bool => Bytes(Integers.Select(v => (byte)v).ToArray()),
            _ => throw new NotSupportedException($"Constants of element type {Type} are not supported."),
        };
        return t;
    }

    private static ByteString Bytes<T>(T[] values)
        where T : struct => ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
}
