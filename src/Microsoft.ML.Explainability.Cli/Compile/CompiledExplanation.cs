using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli.Compile;

/// <summary>A compiled explanation model and what it computes.</summary>
/// <param name="Model">The standalone model.</param>
/// <param name="Method">The method.</param>
/// <param name="SaliencyShape">Layout of the saliency output, e.g. "[N, 28, 28]".</param>
/// <param name="Detail">Target layer or composite.</param>
internal sealed record CompiledExplanation(OnnxModel Model, string Method, string SaliencyShape, string Detail);
