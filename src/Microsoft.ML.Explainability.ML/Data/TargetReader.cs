using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Data;

/// <summary>Reads a target column as a class index: integers as they are (negative → −1, the predicted class), keys as k − 1 (missing → −1).</summary>
internal static class TargetReader
{
    public static bool IsSupported(DataViewType type) => type is KeyDataViewType
        || type == NumberDataViewType.Int32 || type == NumberDataViewType.Int64 || type == NumberDataViewType.Int16 || type == NumberDataViewType.SByte
        || type == NumberDataViewType.UInt32 || type == NumberDataViewType.UInt64 || type == NumberDataViewType.UInt16 || type == NumberDataViewType.Byte;

    /// <summary>A function reading the current row's target from <paramref name="row"/>.</summary>
    public static Func<long> Create(DataViewRow row, DataViewSchema.Column column)
    {
        var type = column.Type;
        bool key = type is KeyDataViewType;
        long Key(ulong value) => value == 0 ? -1 : (long)(value - 1);
        long Signed(long value) => value < 0 ? -1 : value;
        long Unsigned(ulong value) => key ? Key(value) : (long)value;
        return type.RawType switch
        {
            var t when t == typeof(int) => Read<int>(row, column, v => Signed(v)),
            var t when t == typeof(long) => Read<long>(row, column, Signed),
            var t when t == typeof(short) => Read<short>(row, column, v => Signed(v)),
            var t when t == typeof(sbyte) => Read<sbyte>(row, column, v => Signed(v)),
            var t when t == typeof(uint) => Read<uint>(row, column, v => Unsigned(v)),
            var t when t == typeof(ulong) => Read<ulong>(row, column, Unsigned),
            var t when t == typeof(ushort) => Read<ushort>(row, column, v => Unsigned(v)),
            var t when t == typeof(byte) => Read<byte>(row, column, v => Unsigned(v)),
            _ => throw new ArgumentOutOfRangeException(nameof(column), $"The target column '{column.Name}' has type {type}; it must be an integer or a key."),
        };
    }

    private static Func<long> Read<T>(DataViewRow row, DataViewSchema.Column column, Func<T, long> convert)
    {
        var getter = row.GetGetter<T>(column);
        return () =>
        {
            T value = default!;
            getter(ref value);
            return convert(value);
        };
    }
}
