using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.ML.Data;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.ML;

/// <summary>What <see cref="ExplanationEvaluation.Evaluate"/> measures and on which columns.</summary>
public sealed class ExplanationEvaluationOptions
{
    /// <summary>The ONNX model that was explained; either this or <see cref="ModelFile"/>.</summary>
    public OnnxModel? Model { get; set; }

    /// <summary>Path of the ONNX model that was explained.</summary>
    public string? ModelFile { get; set; }

    /// <summary>The pixel column the explainers read ([C, H, W] Single, before <see cref="Mean"/>/<see cref="Std"/>). Default "Pixels".</summary>
    public string InputColumnName { get; set; } = "Pixels";

    /// <summary>The saliency columns to compare, one per method.</summary>
    public IList<ExplanationColumn> Explanations { get; } = [];

    /// <summary>Optional class column (integer or key, as the explainers' target column; their class column works too); null: the predicted class.</summary>
    public string? TargetColumnName { get; set; }

    /// <summary>Optional object-mask column (Single, [H, W] or [C, H, W], non-zero inside the object): adds the pointing game and relevance mass accuracy.</summary>
    public string? MaskColumnName { get; set; }

#pragma warning disable CA1819 // Options in ML.NET's idiom: plain arrays.
    /// <summary>The explainers' per-channel means ((x − mean)/std before the model); null: none.</summary>
    public float[]? Mean { get; set; }

    /// <summary>The explainers' per-channel standard deviations; null: 1.</summary>
    public float[]? Std { get; set; }
#pragma warning restore CA1819

    /// <summary>The model output scored; null: the first [N, classes] float output.</summary>
    public string? ModelOutputName { get; set; }

    /// <summary>
    /// The metrics, by their <see cref="MetricRegistry"/> names (any registered metric); null: deletion, insertion,
    /// faithfulness-correlation and sparseness, plus pointing-game and relevance-mass-accuracy when
    /// <see cref="MaskColumnName"/> is set. Metrics that re-run the explanation method need <see cref="Explain"/>.
    /// </summary>
    public IList<string>? Metrics { get; set; }

    /// <summary>Defaults of every metric: ours or Quantus 0.6's (<see cref="EvaluationConvention"/>).</summary>
    public EvaluationConvention Convention { get; set; } = EvaluationConvention.Default;

    /// <summary>Per-metric options by metric name (e.g. <c>["deletion"] = new DeletionInsertionOptions { Steps = 20 }</c>); a metric not named takes its convention's defaults.</summary>
    public IDictionary<string, object> MetricOptions { get; } = new Dictionary<string, object>(StringComparer.Ordinal);

    /// <summary>Re-runs the explanation method on perturbed inputs (robustness, randomisation and axiomatic metrics); null: such metrics are refused.</summary>
    public ExplainFunction? Explain { get; set; }

    /// <summary>Seed of the metrics' random draws.</summary>
    public int Seed { get; set; }

    /// <summary>How ONNX Runtime runs the scoring passes.</summary>
    public ExecutionOptions Execution { get; set; } = ExecutionOptions.Default;
}
