using System.Runtime.InteropServices;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;
using SkiaSharp;

namespace Microsoft.ML.Explainability.Reports;

/// <summary>Colormaps for heatmap overlays (see <see cref="Colormaps"/> for their definitions).</summary>
public enum HeatmapColormap
{
    /// <summary>Matplotlib's perceptually uniform "inferno" (black–purple–yellow).</summary>
    Inferno,

    /// <summary>The classic rainbow "jet" (blue–cyan–yellow–red), as in the Grad-CAM paper's figures.</summary>
    Jet,

    /// <summary>Matplotlib's "viridis".</summary>
    Viridis,
}
