using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.ML.Data;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// From a scored <see cref="IDataView"/> (pixels plus one saliency column per method, as explain transformers write
/// them) to the evaluation harness: any metric of <see cref="MetricRegistry"/>, by default deletion and insertion
/// (Petsiuk et al. 2018), faithfulness correlation (Bhatt et al. 2020), sparseness as the Gini index (Chalasani et al.
/// 2020), and, when a mask column exists, the pointing game (Zhang et al. 2018) and relevance mass accuracy (Arras et
/// al. 2022), all computed by <c>Microsoft.ML.Explainability.Evaluation</c> against the same ONNX model.
/// </summary>
public static class ExplanationEvaluation
{
    /// <summary>Reads the view once and evaluates every saliency column.</summary>
    /// <param name="scored">The scored view.</param>
    /// <param name="options">Model, columns and metric options.</param>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type or size.</exception>
    /// <exception cref="EvaluationInputException">The view is empty or holds non-finite values, or a metric's needs (masks, <see cref="ExplanationEvaluationOptions.Explain"/>) are missing.</exception>
    /// <exception cref="KeyNotFoundException">A name in <see cref="ExplanationEvaluationOptions.Metrics"/> is not a registered metric; the message lists them.</exception>
    public static ExplanationEvaluationResult Evaluate(this IDataView scored, ExplanationEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(scored);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Explanations.Count == 0)
        {
            throw new ArgumentException("Name at least one saliency column in Explanations.", nameof(options));
        }

        if (options.Explanations.Select(e => e.Method).Distinct(StringComparer.Ordinal).Count() != options.Explanations.Count)
        {
            throw new ArgumentException("The methods' names in Explanations must differ.", nameof(options));
        }

        var model = options.Model ?? (string.IsNullOrWhiteSpace(options.ModelFile)
            ? throw new ArgumentException("Give the ONNX model: set ModelFile (a path) or Model.", nameof(options))
            : OnnxModel.Load(options.ModelFile));
        using var scorer = new ModelScorer(model, options.ModelOutputName, options.Execution);
        var (inputs, maps, targets, masks) = Read(scored, options);
        var resolved = scorer.ResolveTargets(inputs, targets, CancellationToken.None);

        var metrics = (options.Metrics ?? DefaultMetrics(masks is not null)).Select(MetricRegistry.Find).ToArray();
        var report = new EvaluationReport();
        foreach (var (column, explanations) in options.Explanations.Zip(maps))
        {
            using var context = new MetricContext
            {
                Model = model, Scorer = scorer, Inputs = inputs, Explanations = explanations, Targets = resolved, Masks = masks,
                Explain = options.Explain, Convention = options.Convention, Seed = options.Seed,
                Options = options.MetricOptions.Count == 0 ? null : new Dictionary<string, object>(options.MetricOptions, StringComparer.Ordinal),
            };
            MetricRegistry.Evaluate(report, column.Method, context, metrics);
        }

        // Rows: input row by input row, the methods in the order given.
        int n = inputs.BatchSize, m = options.Explanations.Count;
        var frame = new DataFrame(
            new Int64DataFrameColumn("Row", Enumerable.Range(0, n * m).Select(i => (long)(i / m))),
            new StringDataFrameColumn("Method", Enumerable.Range(0, n * m).Select(i => options.Explanations[i % m].Method)),
            new Int64DataFrameColumn("Target", Enumerable.Range(0, n * m).Select(i => resolved[i / m])));
        foreach (var metric in metrics.Select(d => d.Name))
        {
            frame.Columns.Add(new DoubleDataFrameColumn(metric, Enumerable.Range(0, n * m).Select(i => report.Values(options.Explanations[i % m].Method, metric)[i / m])));
        }

        return new ExplanationEvaluationResult(frame, report);
    }

    private static (FloatTensor Inputs, FloatTensor[] Maps, long[]? Targets, FloatTensor? Masks) Read(IDataView scored, ExplanationEvaluationOptions options)
    {
        var schema = scored.Schema;
        var input = Vector(schema, options.InputColumnName, "input");
        int length = Size(input);
        long[] shape = input.Type is VectorDataViewType { Dimensions.Length: 3 } v ? [.. v.Dimensions.Select(d => (long)d)] : [];
        if (shape.Length == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(scored), $"Schema mismatch for input column '{options.InputColumnName}': expected a vector of Single with dimensions [C, H, W], got {input.Type}. Use ExtractPixels (its column type carries [C, H, W]).");
        }

        int plane = (int)(shape[1] * shape[2]);
        var saliency = options.Explanations.Select(e =>
        {
            var column = Vector(schema, e.ColumnName, "saliency");
            int count = Size(column);
            return count == plane || count == length
                ? column
                : throw new ArgumentOutOfRangeException(nameof(scored), $"Schema mismatch for saliency column '{e.ColumnName}': expected {plane} values ([{shape[1]}, {shape[2]}]) or {length} ([{string.Join(", ", shape)}]), got {count}.");
        }).ToArray();
        DataViewSchema.Column? target = null;
        if (options.TargetColumnName is { } targetName)
        {
            target = schema.GetColumnOrNull(targetName) ?? throw new ArgumentOutOfRangeException(nameof(scored), $"Could not find target column '{targetName}' in the scored view.");
            if (!TargetReader.IsSupported(target.Value.Type))
            {
                throw new ArgumentOutOfRangeException(nameof(scored), $"Schema mismatch for target column '{targetName}': expected an integer or key type, got {target.Value.Type}.");
            }
        }

        DataViewSchema.Column? mask = options.MaskColumnName is { } maskName ? Vector(schema, maskName, "mask") : null;

        var columns = new List<DataViewSchema.Column> { input };
        columns.AddRange(saliency);
        if (target is { } t)
        {
            columns.Add(t);
        }

        if (mask is { } k)
        {
            columns.Add(k);
        }

        var pixels = new List<float>();
        var maps = saliency.Select(_ => new List<float>()).ToArray();
        var targets = new List<long>();
        var maskValues = new List<float>();
        using (var cursor = scored.GetRowCursor(columns))
        {
            var pixelGetter = cursor.GetGetter<VBuffer<float>>(input);
            var mapGetters = saliency.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
            var targetGetter = target is { } tc ? TargetReader.Create(cursor, tc) : null;
            var maskGetter = mask is { } mc ? cursor.GetGetter<VBuffer<float>>(mc) : null;
            VBuffer<float> buffer = default;
            while (cursor.MoveNext())
            {
                pixelGetter(ref buffer);
                pixels.AddRange(Normalise(buffer.DenseValues().ToArray(), options, (int)shape[0], plane));
                for (int i = 0; i < mapGetters.Length; i++)
                {
                    mapGetters[i](ref buffer);
                    maps[i].AddRange(buffer.DenseValues());
                }

                if (targetGetter is not null)
                {
                    targets.Add(targetGetter());
                }

                if (maskGetter is not null)
                {
                    maskGetter(ref buffer);
                    maskValues.AddRange(buffer.DenseValues());
                }
            }
        }

        int n = pixels.Count / length;
        if (n == 0)
        {
            throw new EvaluationInputException("The scored view has no rows: there is nothing to evaluate.");
        }

        var inputs = new FloatTensor([.. pixels], n, shape[0], shape[1], shape[2]);
        var explanations = maps.Select((values, i) => values.Count == n * length
            ? new FloatTensor([.. values], n, shape[0], shape[1], shape[2])
            : AblationStudy.SpreadOverChannels(new FloatTensor([.. values], n, shape[1], shape[2]), inputs)).ToArray();
        FloatTensor? masks = mask is { } maskColumn
            ? maskValues.Count == n * plane ? new FloatTensor([.. maskValues], n, shape[1], shape[2])
            : maskValues.Count == n * length ? new FloatTensor([.. maskValues], n, shape[0], shape[1], shape[2])
            : throw new ArgumentOutOfRangeException(nameof(scored), $"Schema mismatch for mask column '{maskColumn.Name}': expected {plane} or {length} values per row, got {maskColumn.Type}.")
            : null;
        return (inputs, explanations, target is null ? null : targets.ToArray(), masks);
    }

    private static string[] DefaultMetrics(bool masks) => masks
        ? ["deletion", "insertion", "faithfulness-correlation", "sparseness", "pointing-game", "relevance-mass-accuracy"]
        : ["deletion", "insertion", "faithfulness-correlation", "sparseness"];

    private static int Size(DataViewSchema.Column column) => ((VectorDataViewType)column.Type).Size;

    private static DataViewSchema.Column Vector(DataViewSchema schema, string name, string role)
    {
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find {role} column '{name}' in the scored view (columns: {string.Join(", ", schema.Select(c => $"'{c.Name}'"))}).");
        return column.Type is VectorDataViewType { ItemType: var item, IsKnownSize: true } && item == NumberDataViewType.Single
            ? column
            : throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for {role} column '{name}': expected a known-size vector of Single, got {column.Type}.");
    }

    /// <summary>(x − mean[c]) / std[c], as the explainers fed the model.</summary>
    private static float[] Normalise(float[] pixels, ExplanationEvaluationOptions options, int channels, int plane)
    {
        if (options.Mean is null && options.Std is null)
        {
            return pixels;
        }

        for (int c = 0; c < channels; c++)
        {
            float mean = options.Mean is { } m ? m[m.Length == 1 ? 0 : c] : 0f, std = options.Std is { } s ? s[s.Length == 1 ? 0 : c] : 1f;
            for (int p = c * plane; p < (c + 1) * plane; p++)
            {
                pixels[p] = (pixels[p] - mean) / std;
            }
        }

        return pixels;
    }
}
