using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// Estimator of a <see cref="GradCamTransformer"/>: Grad-CAM (or another CAM method) of an ONNX image classifier on a
/// [C, H, W] pixel column, as a saliency column [H, W] in [0, 1] (pytorch-grad-cam's post-processing), batched.
/// Made by <see cref="ExplainCatalog.ExplainGradCam(TransformsCatalog, string, string, string, string?, string?, int, int?, bool)"/>.
/// </summary>
public sealed class GradCamEstimator : IEstimator<GradCamTransformer>
{
    private readonly EstimatorCore _core;

    /// <summary>Makes the estimator; the model is loaded now.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidOnnxModelException">The model file is not a usable ONNX model.</exception>
    public GradCamEstimator(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Method is { Family: not MethodFamily.Cam } other)
        {
            throw new ArgumentException($"GradCamEstimator runs CAM methods; '{other.Name}' is a {other.Family} method (use ExplainEstimator for it). CAM methods: {string.Join(", ", ExplanationMethods.All.Where(m => m.Family == MethodFamily.Cam).Select(m => m.Name))}.", nameof(options));
        }

        _core = new EstimatorCore(options, GradCamTransformer.KindName, options.Method, s =>
        {
            s.TargetLayer = options.TargetLayer;
        });
    }

    /// <summary>Options of a <see cref="GradCamEstimator"/>.</summary>
    public sealed class Options : ExplainOptionsBase
    {
        /// <summary>The CAM method. Default <see cref="ExplanationMethods.GradCam"/>.</summary>
        public Explainers.ExplanationMethod Method { get; set; } = ExplanationMethods.GradCam;

        /// <summary>The target layer's tensor name; null (the default) picks the last convolutional feature map automatically (<see cref="TargetLayers"/>).</summary>
        public string? TargetLayer { get; set; }

        /// <summary>Optional column with the raw map at the layer's resolution [h, w], before ReLU and normalisation.</summary>
        public string? RawMapColumnName { get; set; }

        private protected override string? RawColumnName => RawMapColumnName;
    }

    /// <summary>Prepares the method on the model and checks the input schema and first row.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type or size.</exception>
    /// <exception cref="InvalidOperationException">The data view has no rows.</exception>
    public GradCamTransformer Fit(IDataView input) => _core.Fit(input, (s, m) => new GradCamTransformer(s, m));

    /// <summary>The input columns plus the explanation columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => _core.GetOutputSchema(inputSchema);
}
