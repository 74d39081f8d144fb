using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Data;

/// <summary>
/// The cursor of an explain transformer: reads up to BatchSize rows ahead from the source cursor (the input and
/// target values into a <see cref="RowBatch"/>, the active pass-through columns into <see cref="ColumnBuffer"/>s),
/// explains them in one ONNX Runtime call, then serves them one by one in source order. Nothing is read before the
/// first <see cref="MoveNext"/>; memory is bounded by one batch.
/// </summary>
internal sealed class BatchingCursor : DataViewRowCursor
{
    private readonly Bindings _bindings;
    private readonly DataViewRowCursor _source;
    private readonly bool[] _active;
    private readonly ColumnBuffer?[] _buffers;
    private readonly RowBatch _batch;
    private readonly DataViewRowId[] _ids;
    private readonly ValueGetter<DataViewRowId> _sourceId;
    private readonly bool _scores;
    private int _slot = -1;
    private long _position = -1;
    private bool _sourceDone;
    private bool _disposed;

    public BatchingCursor(Bindings bindings, DataViewRowCursor source, bool[] active)
    {
        _bindings = bindings;
        _source = source;
        _active = active;
        int capacity = bindings.Settings.BatchSize;
        _batch = new RowBatch(bindings, source, capacity);
        _ids = new DataViewRowId[capacity];
        _sourceId = source.GetIdGetter();
        _buffers = new ColumnBuffer?[bindings.InputSchema.Count];
        for (int i = 0; i < _buffers.Length; i++)
        {
            if (active[i])
            {
                _buffers[i] = ColumnBuffer.Create(source, bindings.InputSchema[i], capacity);
            }
        }

        _scores = bindings.ScoreIndex >= 0 && active[bindings.ScoreIndex];
    }

    public override DataViewSchema Schema => _bindings.OutputSchema;

    public override long Position => _position;

    public override long Batch => 0;

    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    public override bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_slot + 1 < _batch.Count)
        {
            _slot++;
            _position++;
            return true;
        }

        if (_sourceDone || !FillBatch())
        {
            _slot = _batch.Count;
            return false;
        }

        _slot = 0;
        _position++;
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = _ids[CurrentSlot()];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index])
        {
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        }

        Delegate getter;
        if (!_bindings.IsAdded(column.Index))
        {
            getter = _buffers[column.Index]!.Getter(CurrentSlot);
        }
        else if (column.Index == _bindings.SaliencyIndex)
        {
            getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => _batch.GetSaliency(CurrentSlot(), ref value));
        }
        else if (column.Index == _bindings.RawIndex)
        {
            getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => _batch.GetRaw(CurrentSlot(), ref value));
        }
        else if (column.Index == _bindings.ClassIndex)
        {
            getter = (ValueGetter<int>)((ref int value) => value = _batch.GetClass(CurrentSlot()));
        }
        else
        {
            getter = (ValueGetter<float>)((ref float value) => value = _batch.GetScore(CurrentSlot()));
        }

        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' has type {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _source.Dispose();
        }

        _disposed = true;
        base.Dispose(disposing);
    }

    private int CurrentSlot()
    {
        if (_slot < 0 || _slot >= _batch.Count)
        {
            throw new InvalidOperationException("The cursor is not on a row: call MoveNext first (and only read while it returns true).");
        }

        return _slot;
    }

    /// <summary>Reads the next batch from the source and explains it; false when the source had no more rows.</summary>
    private bool FillBatch()
    {
        _batch.Clear();
        while (_batch.Count < _batch.Capacity)
        {
            if (!_source.MoveNext())
            {
                _sourceDone = true;
                break;
            }

            int slot = _batch.Count;
            _sourceId(ref _ids[slot]);
            foreach (var buffer in _buffers)
            {
                buffer?.Fetch(slot);
            }

            _batch.Add();
        }

        if (_batch.Count == 0)
        {
            return false;
        }

        _batch.Explain(_scores);
        return true;
    }
}
