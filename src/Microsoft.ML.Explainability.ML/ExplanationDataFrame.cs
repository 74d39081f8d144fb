using Microsoft.Data.Analysis;
using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML;

/// <summary>Explained data views to <see cref="DataFrame"/>s, every row (ML.NET's <c>ToDataFrame</c> stops at 100 by default).</summary>
public static class ExplanationDataFrame
{
    /// <summary>
    /// Reads every row of <paramref name="data"/> into a <see cref="DataFrame"/> (one cursor, batched like any cursor).
    /// Vector columns (the saliency) become <c>VBufferDataFrameColumn&lt;float&gt;</c>.
    /// </summary>
    /// <param name="data">The data, typically an explain transformer's output.</param>
    /// <param name="columns">The columns to read; none: every column a DataFrame can hold (numbers, booleans, text, keys, vectors of numbers — image columns are left out). Keys (such as <c>PredictedLabel</c>) become their raw unsigned value: 1-based, 0 for missing.</param>
    /// <exception cref="ArgumentOutOfRangeException">A named column does not exist.</exception>
    public static DataFrame ToExplanationDataFrame(this IDataView data, params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0)
        {
            columns = data.Schema.Where(c => !c.IsHidden && IsConvertible(c.Type)).Select(c => c.Name).ToArray();
        }
        else
        {
            foreach (var name in columns)
            {
                if (data.Schema.GetColumnOrNull(name) is null)
                {
                    throw new ArgumentOutOfRangeException(nameof(columns), $"Column '{name}' was not found (columns: {string.Join(", ", data.Schema.Select(c => $"'{c.Name}'"))}).");
                }
            }
        }

        return new KeysAsNumbers(data).ToDataFrame(-1, columns);
    }

    private static bool IsConvertible(DataViewType type) => type switch
    {
        VectorDataViewType vector => vector.ItemType is NumberDataViewType or BooleanDataViewType,
        NumberDataViewType or BooleanDataViewType or TextDataViewType or KeyDataViewType => true,
        _ => false,
    };

    /// <summary>The same data with key columns typed as their raw unsigned numbers (which DataFrame can hold).</summary>
    private sealed class KeysAsNumbers : IDataView
    {
        private readonly IDataView _source;

        public KeysAsNumbers(IDataView source)
        {
            _source = source;
            var builder = new DataViewSchema.Builder();
            foreach (var column in source.Schema)
            {
                if (column.Type is KeyDataViewType key)
                {
                    builder.AddColumn(column.Name, NumberOf(key.RawType));
                }
                else
                {
                    builder.AddColumn(column.Name, column.Type, column.Annotations);
                }
            }

            Schema = builder.ToSchema();
        }

        public bool CanShuffle => _source.CanShuffle;

        public DataViewSchema Schema { get; }

        public long? GetRowCount() => _source.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            new Cursor(Schema, _source.GetRowCursor(columnsNeeded.Select(c => _source.Schema[c.Index]), rand));

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

        private static NumberDataViewType NumberOf(Type raw) =>
            raw == typeof(byte) ? NumberDataViewType.Byte
            : raw == typeof(ushort) ? NumberDataViewType.UInt16
            : raw == typeof(uint) ? NumberDataViewType.UInt32
            : NumberDataViewType.UInt64;

        private sealed class Cursor(DataViewSchema schema, DataViewRowCursor source) : DataViewRowCursor
        {
            public override DataViewSchema Schema => schema;

            public override long Position => source.Position;

            public override long Batch => source.Batch;

            public override bool MoveNext() => source.MoveNext();

            public override bool IsColumnActive(DataViewSchema.Column column) => source.IsColumnActive(source.Schema[column.Index]);

            public override ValueGetter<DataViewRowId> GetIdGetter() => source.GetIdGetter();

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => source.GetGetter<TValue>(source.Schema[column.Index]);

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    source.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
