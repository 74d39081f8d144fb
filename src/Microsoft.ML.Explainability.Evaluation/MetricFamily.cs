using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>The property of an explanation a metric measures (Quantus's categories).</summary>
public enum MetricFamily
{
    /// <summary>Does the explanation reflect what the model uses? (perturb what it points at, watch the score.)</summary>
    Faithfulness,

    /// <summary>Does the explanation stay put under small input changes?</summary>
    Robustness,

    /// <summary>Does the explanation fall on the object (needs ground-truth masks or mosaics)?</summary>
    Localisation,

    /// <summary>Is the explanation concise?</summary>
    Complexity,

    /// <summary>Does the explanation depend on the model's parameters and the explained class?</summary>
    Randomisation,

    /// <summary>Does the explanation satisfy an axiom (completeness, non-sensitivity, input invariance)?</summary>
    Axiomatic,
}
