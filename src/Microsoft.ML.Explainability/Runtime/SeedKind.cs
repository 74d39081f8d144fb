using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>How the gradient that flows into the seeded output is given.</summary>
public enum SeedKind
{
    /// <summary>
    /// A one-hot row per sample for a class: the model gets an int64 input <see cref="GradientModel.TargetsInput"/>
    /// of shape [N] holding class indices (−1 for the predicted class, resolved inside the graph by ArgMax). The
    /// seeded output must be [N, classes].
    /// </summary>
    OneHotTarget,

    /// <summary>The caller gives the whole gradient tensor (<see cref="GradientModel.SeedInput"/>, the output's shape).</summary>
    Given,
}
