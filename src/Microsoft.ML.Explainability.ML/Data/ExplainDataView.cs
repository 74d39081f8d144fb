using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Data;

/// <summary>
/// The lazy output of an explain transformer: the source's columns followed by the explanation columns. A cursor
/// that reads an explanation column batches (<see cref="BatchingCursor"/>); one that does not passes rows through.
/// </summary>
internal sealed class ExplainDataView : IDataView
{
    private readonly IDataView _source;
    private readonly Bindings _bindings;

    public ExplainDataView(IDataView source, Bindings bindings)
    {
        _source = source;
        _bindings = bindings;
    }

    public bool CanShuffle => _source.CanShuffle;

    public DataViewSchema Schema => _bindings.OutputSchema;

    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[Schema.Count];
        foreach (var column in columnsNeeded)
        {
            active[column.Index] = true;
        }

        var dependencies = _bindings.Dependencies(i => active[i]).ToArray();
        var source = _source.GetRowCursor(dependencies, rand);
        bool explains = active.Where((a, i) => a && _bindings.IsAdded(i)).Any();
        return explains ? new BatchingCursor(_bindings, source, active) : new PassThroughCursor(Schema, source, active);
    }

    /// <summary>One cursor: the batching cursor already runs whole batches in one parallel ONNX Runtime call, and keeps row order.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

    /// <summary>A cursor over the source's columns only, under the output schema.</summary>
    private sealed class PassThroughCursor : DataViewRowCursor
    {
        private readonly DataViewRowCursor _source;
        private readonly bool[] _active;

        public PassThroughCursor(DataViewSchema schema, DataViewRowCursor source, bool[] active)
        {
            Schema = schema;
            _source = source;
            _active = active;
        }

        public override DataViewSchema Schema { get; }

        public override long Position => _source.Position;

        public override long Batch => _source.Batch;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override bool MoveNext() => _source.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => _source.GetIdGetter();

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            }

            return _source.GetGetter<TValue>(_source.Schema[column.Index]);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _source.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
