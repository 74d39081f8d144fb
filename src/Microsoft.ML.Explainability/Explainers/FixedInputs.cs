using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// The inputs of a multi-input model that are not explained, checked against the model for one request of
/// <see cref="Rows"/> rows, and held fixed: an explainer that feeds the model copies of its rows (noisy samples, path
/// points, masked or occluded images, ablated channels) derives the matching feeds here, so every copy of row r is fed
/// row r's other inputs. Empty (and free) for a single-input model.
/// </summary>
internal sealed class FixedInputs
{
    private readonly IReadOnlyDictionary<string, InputTensor> _values;

    public FixedInputs(string explained, IReadOnlyDictionary<string, InputTensor> values, int rows)
    {
        Explained = explained;
        _values = values;
        Rows = rows;
    }

    /// <summary>The explained input's name (the tensor <see cref="Feeds"/> adds).</summary>
    public string Explained { get; }

    /// <summary>The rows these values are for (any count when <see cref="IsEmpty"/>).</summary>
    public int Rows { get; }

    /// <summary>True for a single-input model.</summary>
    public bool IsEmpty => _values.Count == 0;

    /// <summary>The values by input name.</summary>
    public IReadOnlyDictionary<string, InputTensor> Values => _values;

    /// <summary>The values for <paramref name="count"/> derived rows, derived row j being a copy of row <paramref name="rowOf"/>(j).</summary>
    public FixedInputs Select(int count, Func<int, int> rowOf)
    {
        if (IsEmpty)
        {
            return this;
        }

        var rows = new int[count];
        for (int j = 0; j < count; j++)
        {
            rows[j] = rowOf(j);
        }

        return new FixedInputs(Explained, _values.ToDictionary(kv => kv.Key, kv => kv.Value.SelectRows(rows), StringComparer.Ordinal), count);
    }

    /// <summary>Each row repeated <paramref name="times"/> times in place (rows r·k … r·k + k − 1 are copies of row r).</summary>
    public FixedInputs RepeatEach(int times) => Select(Rows * times, j => j / times);

    /// <summary>The whole batch repeated <paramref name="times"/> times (row j is a copy of row j mod N).</summary>
    public FixedInputs Tile(int times) => Select(Rows * times, j => j % Rows);

    /// <summary><paramref name="count"/> copies of row <paramref name="row"/>.</summary>
    public FixedInputs OfRow(int row, int count) => Select(count, _ => row);

    /// <summary>Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>).</summary>
    public FixedInputs Slice(int start, int count) => Select(count, j => start + j);

    /// <summary>Every model input: the explained one given by <paramref name="batch"/>, the others from these values.</summary>
    /// <exception cref="InvalidOperationException">The batch's row count is not the one these values were derived for (a bug in the explainer).</exception>
    public Dictionary<string, InputTensor> Feeds(FloatTensor batch)
    {
        if (!IsEmpty && batch.BatchSize != Rows)
        {
            throw new InvalidOperationException($"The other inputs were derived for {Rows} rows but the explained input '{Explained}' has {batch.BatchSize}.");
        }

        var feeds = new Dictionary<string, InputTensor>(_values, StringComparer.Ordinal) { [Explained] = InputTensor.Float(batch) };
        return feeds;
    }
}
