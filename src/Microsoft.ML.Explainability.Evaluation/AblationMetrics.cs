using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>The metrics an ablation study computes for every variant.</summary>
[Flags]
public enum AblationMetrics
{
    /// <summary>No metric.</summary>
    None = 0,

    /// <summary>Deletion AUC (<see cref="DeletionInsertion.Deletion"/>, lower is better).</summary>
    Deletion = 1,

    /// <summary>Insertion AUC (<see cref="DeletionInsertion.Insertion"/>, higher is better).</summary>
    Insertion = 2,

    /// <summary>Faithfulness correlation (<see cref="Evaluation.FaithfulnessCorrelation"/>, higher is better).</summary>
    FaithfulnessCorrelation = 4,

    /// <summary>Pointing game (<see cref="Localisation.PointingGame"/>; needs <see cref="AblationOptions.Masks"/>).</summary>
    PointingGame = 8,

    /// <summary>Relevance mass accuracy (<see cref="Localisation.RelevanceMassAccuracy"/>; needs masks).</summary>
    RelevanceMassAccuracy = 16,

    /// <summary>Relevance rank accuracy (<see cref="Localisation.RelevanceRankAccuracy"/>; needs masks).</summary>
    RelevanceRankAccuracy = 32,

    /// <summary>Sparseness, the Gini index (<see cref="Complexity.Sparseness"/>, higher is sparser).</summary>
    Sparseness = 64,

    /// <summary>Complexity, the entropy (<see cref="Complexity.EntropyComplexity"/>, lower is simpler).</summary>
    Complexity = 128,

    /// <summary>Every metric above (localisation only when masks are given).</summary>
    All = Deletion | Insertion | FaithfulnessCorrelation | PointingGame | RelevanceMassAccuracy | RelevanceRankAccuracy | Sparseness | Complexity,
}
