using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// Estimator of a <see cref="GuidedBackpropTransformer"/>: Guided Backpropagation (<see cref="Attribution.ModifiedReluRules.GuidedBackprop"/>)
/// of an ONNX image classifier on a [C, H, W] pixel column; max |·| over channels into [H, W] by default.
/// </summary>
public sealed class GuidedBackpropEstimator : IEstimator<GuidedBackpropTransformer>
{
    private readonly EstimatorCore _core;

    /// <summary>Makes the estimator; the model is loaded now.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidOnnxModelException">The model file is not a usable ONNX model.</exception>
    public GuidedBackpropEstimator(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _core = new EstimatorCore(options, GuidedBackpropTransformer.KindName, ExplanationMethods.GuidedBackprop, s => s.Reduction = options.Reduction);
    }

    /// <summary>Options of a <see cref="GuidedBackpropEstimator"/>.</summary>
    public sealed class Options : ExplainOptionsBase
    {
        /// <summary>How the gradient [C, H, W] becomes the saliency. Default <see cref="ChannelReduction.MaxAbsolute"/>.</summary>
        public ChannelReduction Reduction { get; set; } = ChannelReduction.MaxAbsolute;
    }

    /// <summary>Prepares the method on the model and checks the input schema and first row.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type or size.</exception>
    /// <exception cref="InvalidOperationException">The data view has no rows.</exception>
    public GuidedBackpropTransformer Fit(IDataView input) => _core.Fit(input, (s, m) => new GuidedBackpropTransformer(s, m));

    /// <summary>The input columns plus the explanation columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => _core.GetOutputSchema(inputSchema);
}
