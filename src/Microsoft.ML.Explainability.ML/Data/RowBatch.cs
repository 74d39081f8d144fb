using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.ML.Data;

/// <summary>
/// Up to <see cref="Capacity"/> rows read from a source row (input pixels normalised into one [N, C, H, W] buffer,
/// targets), explained in one <see cref="MethodRunner.Run"/> call, then served slot by slot. Its memory is one batch.
/// </summary>
internal sealed class RowBatch
{
    private readonly Bindings _bindings;
    private readonly float[] _inputs;
    private readonly long[] _targets;
    private readonly DataViewRow _source;
    private readonly ValueGetter<VBuffer<float>> _inputGetter;
    private readonly Func<long>? _targetGetter;
    private readonly float[] _scale;
    private readonly float[] _offset;
    private readonly int _rowLength;
    private readonly int _plane;
    private readonly ExtraInputBuffer[] _extras;
    private VBuffer<float> _scratch;
    private BatchResult? _result;

    public RowBatch(Bindings bindings, DataViewRow source, int capacity)
    {
        _bindings = bindings;
        _source = source;
        Capacity = capacity;
        _rowLength = bindings.Runner.InputLength;
        var shape = bindings.Runner.InputShape;
        _plane = (int)(shape[1] * shape[2]);
        int channels = (int)shape[0];
        _inputs = new float[capacity * _rowLength];
        _targets = new long[capacity];
        _inputGetter = source.GetGetter<VBuffer<float>>(bindings.InputSchema[bindings.InputColumn]);
        if (bindings.TargetColumn >= 0)
        {
            _targetGetter = TargetReader.Create(source, bindings.InputSchema[bindings.TargetColumn]);
        }

        _extras = bindings.ExtraColumns.Select(c => ExtraInputBuffer.Create(source, c, capacity)).ToArray();

        // (x − mean[c]) / std[c] as x·scale[c] + offset[c].
        _scale = new float[channels];
        _offset = new float[channels];
        var mean = bindings.Settings.Mean;
        var std = bindings.Settings.Std;
        for (int c = 0; c < channels; c++)
        {
            float m = mean is null ? 0f : mean[mean.Length == 1 ? 0 : c];
            float s = std is null ? 1f : std[std.Length == 1 ? 0 : c];
            _scale[c] = 1f / s;
            _offset[c] = -m / s;
        }

        Normalises = mean is not null || std is not null;
    }

    public int Capacity { get; }

    /// <summary>Rows held.</summary>
    public int Count { get; private set; }

    private bool Normalises { get; }

    public void Clear()
    {
        Count = 0;
        _result = null;
    }

    /// <summary>Copies the source's current row into the next slot.</summary>
    public void Add()
    {
        _inputGetter(ref _scratch);
        var target = _inputs.AsSpan(Count * _rowLength, _rowLength);
        _scratch.CopyTo(target);
        for (int i = 0; i < target.Length; i++)
        {
            if (!float.IsFinite(target[i]))
            {
                throw new InvalidOperationException($"Row {_source.Position} of '{_bindings.Settings.InputColumnName}' holds {target[i]} at index {i}; the model needs finite pixel values.");
            }
        }

        if (Normalises)
        {
            for (int c = 0; c < _scale.Length; c++)
            {
                var channel = target.Slice(c * _plane, _plane);
                float scale = _scale[c], offset = _offset[c];
                for (int p = 0; p < channel.Length; p++)
                {
                    channel[p] = (channel[p] * scale) + offset;
                }
            }
        }

        foreach (var extra in _extras)
        {
            extra.Add(Count);
        }

        _targets[Count] = _targetGetter?.Invoke() ?? -1;
        Count++;
    }

    /// <summary>Explains the rows held, in one call.</summary>
    public void Explain(bool scores)
    {
        if (Count == 0)
        {
            return;
        }

        var shape = _bindings.Runner.InputShape;
        var data = Count == Capacity ? _inputs : _inputs.AsSpan(0, Count * _rowLength).ToArray();
        var targets = Count == Capacity ? _targets : _targets.AsSpan(0, Count).ToArray();
        var batch = new FloatTensor(data, Count, shape[0], shape[1], shape[2]);
        var others = _extras.Length == 0 ? null : _bindings.ExtraColumns.Select((c, i) => (c.Input, _extras[i].Tensor(Count))).ToDictionary(p => p.Input, p => p.Item2, StringComparer.Ordinal);
        _result = _bindings.Runner.Run(batch, targets, scores, others);
    }

    public bool IsExplained => _result is not null;

    public void GetSaliency(int slot, ref VBuffer<float> destination) => Copy(Result.Maps, slot, _bindings.Runner.MapLength, ref destination);

    public void GetRaw(int slot, ref VBuffer<float> destination) => Copy(Result.Raw!, slot, _bindings.Runner.RawLength, ref destination);

    public int GetClass(int slot) => (int)Result.Classes[slot];

    public float GetScore(int slot) => Result.Scores is { } scores ? scores[slot] : throw new InvalidOperationException("Scores were not computed for this batch.");

    private BatchResult Result => _result ?? throw new InvalidOperationException("The batch has not been explained.");

    private static void Copy(float[] source, int slot, int length, ref VBuffer<float> destination)
    {
        var editor = VBufferEditor.Create(ref destination, length);
        source.AsSpan(slot * length, length).CopyTo(editor.Values);
        destination = editor.Commit();
    }
}
