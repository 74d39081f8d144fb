using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>How the gradient passes the network's ReLU nodes (<see cref="ModifiedReluRules"/>).</summary>
public enum ReluGradientKind
{
    /// <summary>The true gradient, dX = dY·[X &gt; 0].</summary>
    Plain,

    /// <summary>Guided backpropagation, dX = ReLU(dY)·[X &gt; 0] (<see cref="ModifiedReluRules.GuidedBackprop"/>).</summary>
    Guided,

    /// <summary>Deconvnet, dX = ReLU(dY) (<see cref="ModifiedReluRules.Deconvnet"/>).</summary>
    Deconvnet,
}
