using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Data;

/// <summary>
/// Row-to-row mapping for <c>PredictionEngine</c>: each input row is explained alone (a batch of one), when an
/// explanation column is first read for that row position.
/// </summary>
internal sealed class ExplainRowMapper : IRowToRowMapper
{
    private readonly Bindings _bindings;

    public ExplainRowMapper(Bindings bindings) => _bindings = bindings;

    public DataViewSchema InputSchema => _bindings.InputSchema;

    public DataViewSchema OutputSchema => _bindings.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        ArgumentNullException.ThrowIfNull(dependingColumns);
        var active = dependingColumns.Select(c => c.Index).ToHashSet();
        return _bindings.Dependencies(active.Contains);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(activeColumns);
        var active = new bool[OutputSchema.Count];
        foreach (var column in activeColumns)
        {
            active[column.Index] = true;
        }

        return new Row(_bindings, input, active);
    }

    private sealed class Row : DataViewRow
    {
        private readonly Bindings _bindings;
        private readonly DataViewRow _input;
        private readonly bool[] _active;
        private readonly RowBatch? _batch;
        private readonly bool _scores;
        private long _explainedPosition = -1;

        public Row(Bindings bindings, DataViewRow input, bool[] active)
        {
            _bindings = bindings;
            _input = input;
            _active = active;
            if (active.Where((a, i) => a && bindings.IsAdded(i)).Any())
            {
                _batch = new RowBatch(bindings, input, 1);
                _scores = bindings.ScoreIndex >= 0 && active[bindings.ScoreIndex];
            }
        }

        public override DataViewSchema Schema => _bindings.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            }

            if (!_bindings.IsAdded(column.Index))
            {
                return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            }

            Delegate getter;
            if (column.Index == _bindings.SaliencyIndex)
            {
                getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => Explained().GetSaliency(0, ref value));
            }
            else if (column.Index == _bindings.RawIndex)
            {
                getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => Explained().GetRaw(0, ref value));
            }
            else if (column.Index == _bindings.ClassIndex)
            {
                getter = (ValueGetter<int>)((ref int value) => value = Explained().GetClass(0));
            }
            else
            {
                getter = (ValueGetter<float>)((ref float value) => value = Explained().GetScore(0));
            }

            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' has type {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        /// <summary>The batch of one for the input's current row, explained once per position.</summary>
        private RowBatch Explained()
        {
            var batch = _batch!;
            if (_explainedPosition != _input.Position || !batch.IsExplained)
            {
                batch.Clear();
                batch.Add();
                batch.Explain(_scores);
                _explainedPosition = _input.Position;
            }

            return batch;
        }
    }
}
