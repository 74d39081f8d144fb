using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// Estimator of an <see cref="LrpTransformer"/>: Layer-wise Relevance Propagation (<see cref="LrpExplainer"/>) of an
/// ONNX image classifier on a [C, H, W] pixel column; the relevance is summed over channels into [H, W] by default.
/// </summary>
public sealed class LrpEstimator : IEstimator<LrpTransformer>
{
    private readonly EstimatorCore _core;

    /// <summary>Makes the estimator; the model is loaded now.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidOnnxModelException">The model file is not a usable ONNX model.</exception>
    public LrpEstimator(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _core = new EstimatorCore(options, LrpTransformer.KindName, ExplanationMethods.Lrp, s =>
        {
            s.Composite = (options.Composite ?? throw new ArgumentNullException(nameof(options), "Composite must not be null.")).Name;
            s.Low = options.Low?.ToArray();
            s.High = options.High?.ToArray();
            s.Epsilon = options.Epsilon;
            s.LrpSeed = options.Seed;
            s.Canonize = options.Canonize;
            s.Reduction = options.Reduction;
        });
    }

    /// <summary>Options of an <see cref="LrpEstimator"/>.</summary>
    public sealed class Options : ExplainOptionsBase
    {
        /// <summary>The composite of rules, an entry of <see cref="LrpComposites"/>. Default <see cref="LrpComposites.EpsilonPlus"/>.</summary>
        public LrpCompositeDescriptor Composite { get; set; } = LrpComposites.EpsilonPlus;

        /// <summary>ε of the composite's ε rules. Default <see cref="Explainability.Lrp.Rules.LrpRules.DefaultEpsilon"/>.</summary>
        public double Epsilon { get; set; } = Explainability.Lrp.Rules.LrpRules.DefaultEpsilon;

#pragma warning disable CA1819 // Options in ML.NET's idiom: plain arrays.
        /// <summary><see cref="LrpComposites.EpsilonGammaBox"/>: the input's lowest values (one, or one per channel).</summary>
        public double[]? Low { get; set; }

        /// <summary><see cref="LrpComposites.EpsilonGammaBox"/>: the input's highest values (one, or one per channel).</summary>
        public double[]? High { get; set; }
#pragma warning restore CA1819

        /// <summary>The relevance put on the output. Default <see cref="LrpSeed.OneHot"/>.</summary>
        public LrpSeed Seed { get; set; } = LrpSeed.OneHot;

        /// <summary>Fold BatchNormalization into the preceding layer first. Default true.</summary>
        public bool Canonize { get; set; } = true;

        /// <summary>How the relevance [C, H, W] becomes the saliency. Default <see cref="ChannelReduction.Sum"/> (conserves relevance).</summary>
        public ChannelReduction Reduction { get; set; } = ChannelReduction.Sum;
    }

    /// <summary>Prepares LRP on the model and checks the input schema and first row.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type or size.</exception>
    /// <exception cref="InvalidOperationException">The data view has no rows.</exception>
    public LrpTransformer Fit(IDataView input) => _core.Fit(input, (s, m) => new LrpTransformer(s, m));

    /// <summary>The input columns plus the explanation columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => _core.GetOutputSchema(inputSchema);
}
