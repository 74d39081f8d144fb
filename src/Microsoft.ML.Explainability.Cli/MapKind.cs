using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>What a method returns, which fixes the layout of its <c>.npy</c> output.</summary>
internal enum MapKind
{
    /// <summary>One map per row, N×H×W at the input's resolution (CAM and attention methods); <c>--raw</c> gives N×h×w at the layer's grid.</summary>
    Map,

    /// <summary>One value per input element, N×C×H×W (input-attribution methods).</summary>
    InputAttribution,
}
