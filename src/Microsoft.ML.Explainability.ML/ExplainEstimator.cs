using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>Estimator of an <see cref="ExplainTransformer"/>: any method of the library (<see cref="ExplanationMethod"/>) as a batched saliency column.</summary>
public sealed class ExplainEstimator : IEstimator<ExplainTransformer>
{
    private readonly EstimatorCore _core;

    /// <summary>Makes the estimator; the model is loaded now.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidOnnxModelException">The model file is not a usable ONNX model.</exception>
    public ExplainEstimator(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.Method))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Method, "Unknown explanation method.");
        }

        _core = new EstimatorCore(options, ExplainTransformer.KindName, options.Method, s =>
        {
            s.TargetLayer = options.TargetLayer;
            s.Reduction = options.Reduction;
            s.Absolute = options.Absolute;
            s.Samples = options.Samples;
            s.NoiseLevel = options.NoiseLevel;
            s.Seed = options.Seed;
            s.Steps = options.Steps;
            s.Composite = options.Composite;
            s.Epsilon = options.Epsilon;
            s.LrpSeed = options.LrpSeed;
            s.Canonize = options.Canonize;
        });
    }

    /// <summary>Options of an <see cref="ExplainEstimator"/>: the method and each method's parameters (ignored by the others).</summary>
    public sealed class Options : ExplainOptionsBase
    {
        /// <summary>The method. Default <see cref="ExplanationMethod.GradCam"/>.</summary>
        public ExplanationMethod Method { get; set; } = ExplanationMethod.GradCam;

        /// <summary>CAM methods and Guided Grad-CAM: the target layer; null (the default) chooses it automatically.</summary>
        public string? TargetLayer { get; set; }

        /// <summary>CAM methods: optional column with the raw map at the layer's resolution [h, w].</summary>
        public string? RawMapColumnName { get; set; }

        /// <summary>Input attributions: how [C, H, W] becomes the saliency; null (the default): Σ for LRP, integrated gradients and input × gradient, max |·| for the others.</summary>
        public ChannelReduction? Reduction { get; set; }

        /// <summary>Saliency: |gradient| (the default) or the signed gradient.</summary>
        public bool Absolute { get; set; } = true;

        /// <summary>SmoothGrad family: noisy samples per row. Default 50; at most <see cref="ExplainLimits.MaxSamples"/> of <see cref="ExplainOptionsBase.Limits"/>.</summary>
        public int Samples { get; set; } = 50;

        /// <summary>SmoothGrad family: noise σ as a fraction of each row's value range. Default 0.15.</summary>
        public double NoiseLevel { get; set; } = 0.15;

        /// <summary>SmoothGrad family: the noise seed. Default 0.</summary>
        public int Seed { get; set; }

        /// <summary>Integrated gradients: quadrature points. Default 50; at most <see cref="ExplainLimits.MaxSteps"/> of <see cref="ExplainOptionsBase.Limits"/>.</summary>
        public int Steps { get; set; } = 50;

        /// <summary>LRP: the composite. Default <see cref="LrpCompositeKind.EpsilonPlus"/>.</summary>
        public LrpCompositeKind Composite { get; set; } = LrpCompositeKind.EpsilonPlus;

        /// <summary>LRP: ε. Default 1e-6.</summary>
        public double Epsilon { get; set; } = 1e-6;

        /// <summary>LRP: the output relevance. Default <see cref="LrpSeed.OneHot"/>.</summary>
        public LrpSeed LrpSeed { get; set; } = LrpSeed.OneHot;

        /// <summary>LRP: fold BatchNormalization first. Default true.</summary>
        public bool Canonize { get; set; } = true;

        private protected override string? RawColumnName => RawMapColumnName;
    }

    /// <summary>Prepares the method on the model and checks the input schema and first row.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type or size.</exception>
    /// <exception cref="InvalidOperationException">The data view has no rows.</exception>
    public ExplainTransformer Fit(IDataView input) => _core.Fit(input, (s, m) => new ExplainTransformer(s, m));

    /// <summary>The input columns plus the explanation columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => _core.GetOutputSchema(inputSchema);
}
