using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>Creation and reading of constant tensors (<see cref="TensorProto"/>).</summary>
internal static class TensorProtos
{
    public static TensorProto Float(string name, IReadOnlyList<long> dims, ReadOnlySpan<float> values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return t;
    }

    public static TensorProto Int64(string name, IReadOnlyList<long> dims, ReadOnlySpan<long> values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return t;
    }

    public static TensorProto OfType(string name, TensorProto.Types.DataType type, IReadOnlyList<long> dims, ReadOnlySpan<double> values) => type switch
    {
        TensorProto.Types.DataType.Float => Float(name, dims, values.ToArray().Select(v => (float)v).ToArray()),
        TensorProto.Types.DataType.Double => Raw(name, type, dims, MemoryMarshal.AsBytes(values)),
        TensorProto.Types.DataType.Float16 => Raw(name, type, dims, MemoryMarshal.AsBytes<Half>(values.ToArray().Select(v => (Half)v).ToArray())),
        TensorProto.Types.DataType.Int64 => Int64(name, dims, values.ToArray().Select(v => (long)v).ToArray()),
        _ => throw new NotSupportedException($"Constants of element type {type} are not supported."),
    };

    private static TensorProto Raw(string name, TensorProto.Types.DataType type, IReadOnlyList<long> dims, ReadOnlySpan<byte> bytes)
    {
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    public static long ElementCount(TensorProto t) => t.Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Values of a float, double, float16 or integer constant as doubles.</summary>
    public static double[] ToDoubles(TensorProto t)
    {
        var count = checked((int)ElementCount(t));
        var type = (TensorProto.Types.DataType)t.DataType;
        if (t.HasRawData)
        {
            var raw = t.RawData.Span;
            return type switch
            {
                TensorProto.Types.DataType.Float => MemoryMarshal.Cast<byte, float>(raw).ToArray().Select(v => (double)v).ToArray(),
                TensorProto.Types.DataType.Double => MemoryMarshal.Cast<byte, double>(raw).ToArray(),
                TensorProto.Types.DataType.Float16 => MemoryMarshal.Cast<byte, Half>(raw).ToArray().Select(v => (double)v).ToArray(),
                TensorProto.Types.DataType.Int64 => MemoryMarshal.Cast<byte, long>(raw).ToArray().Select(v => (double)v).ToArray(),
                TensorProto.Types.DataType.Int32 => MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (double)v).ToArray(),
                TensorProto.Types.DataType.Int8 => MemoryMarshal.Cast<byte, sbyte>(raw).ToArray().Select(v => (double)v).ToArray(),
                TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => raw.ToArray().Select(v => (double)v).ToArray(),
                _ => throw new NotSupportedException($"Reading constant '{t.Name}' of element type {type} is not supported."),
            };
        }

        double[] values = type switch
        {
            TensorProto.Types.DataType.Float => t.FloatData.Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Double => t.DoubleData.ToArray(),
            TensorProto.Types.DataType.Int64 => t.Int64Data.Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Float16 => t.Int32Data.Select(v => (double)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(),
            TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool
                or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => t.Int32Data.Select(v => (double)v).ToArray(),
            _ => throw new NotSupportedException($"Reading constant '{t.Name}' of element type {type} is not supported."),
        };
        if (values.Length == 1 && count > 1)
        {
            return Enumerable.Repeat(values[0], count).ToArray();
        }

        return values;
    }

    /// <summary>Values of an integer constant, exactly (large values such as INT64_MAX in Slice ends survive).</summary>
    public static long[] ToInt64s(TensorProto t)
    {
        var type = (TensorProto.Types.DataType)t.DataType;
        if (type == TensorProto.Types.DataType.Int64)
        {
            return t.HasRawData ? MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : t.Int64Data.ToArray();
        }

        if (type == TensorProto.Types.DataType.Int32)
        {
            return t.HasRawData ? MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray().Select(v => (long)v).ToArray() : t.Int32Data.Select(v => (long)v).ToArray();
        }

        return ToDoubles(t).Select(v => (long)v).ToArray();
    }
}
