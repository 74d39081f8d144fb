using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// Estimator of an <see cref="ExplainTransformer"/>: any method of the registry (<see cref="ExplanationMethods.All"/>)
/// as a batched saliency column — maps ([H, W]) as they are, input attributions reduced over channels.
/// </summary>
public sealed class ExplainEstimator : IEstimator<ExplainTransformer>
{
    private readonly EstimatorCore _core;

    /// <summary>Makes the estimator; the model is loaded now.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidOnnxModelException">The model file is not a usable ONNX model.</exception>
    public ExplainEstimator(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _core = new EstimatorCore(options, ExplainTransformer.KindName, options.Method, s =>
        {
            s.TargetLayer = options.TargetLayer;
            s.ExplainedInput = options.ExplainedInput;
            s.ExtraInputColumns = options.ExtraInputColumns.Count == 0 ? null : new Dictionary<string, string>(options.ExtraInputColumns, StringComparer.Ordinal);
            s.AblationFill = options.AblationFill;
            s.GuidedGradCamConvention = options.GuidedGradCamConvention;
            s.TargetLayers = options.TargetLayers?.ToArray();
            s.EigenSmooth = options.EigenSmooth;
            s.AugSmooth = options.AugSmooth;
            s.Reduction = options.Reduction;
            s.Absolute = options.Absolute;
            s.Samples = options.Samples;
            s.Masks = options.Masks;
            s.Window = options.Window;
            s.Stride = options.Stride;
            s.BaselineValue = options.BaselineValue;
            s.Low = options.Low?.ToArray();
            s.High = options.High?.ToArray();
            s.NoiseLevel = options.NoiseLevel;
            s.Seed = options.Seed;
            s.Steps = options.Steps;
            s.Composite = (options.Composite ?? throw new ArgumentNullException(nameof(options), "Composite must not be null.")).Name;
            s.Epsilon = options.Epsilon;
            s.LrpSeed = options.LrpSeed;
            s.Canonize = options.Canonize;
            s.SetTarget(options.TargetKind, options.Target);
        });
    }

    /// <summary>Options of an <see cref="ExplainEstimator"/>: the method and each method's parameters (ignored by the others).</summary>
    public sealed class Options : ExplainOptionsBase
    {
        /// <summary>The method: any entry of <see cref="ExplanationMethods"/>. Default <see cref="ExplanationMethods.GradCam"/>.</summary>
        public ExplanationMethod Method { get; set; } = ExplanationMethods.GradCam;

        /// <summary>CAM methods and Guided Grad-CAM: the target layer; null (the default) chooses it automatically.</summary>
        public string? TargetLayer { get; set; }

        /// <summary>
        /// Multi-input models: the model input explained, fed from the input column ([C, H, W] pixels); null (the
        /// default): the model's only input, or its only float image input [N, C, H, W].
        /// </summary>
        public string? ExplainedInput { get; set; }

        /// <summary>
        /// Multi-input models: for each other model input, the column feeding it (a known-size vector of Single or
        /// Int64, as the input's element type, holding the input's values for the row, e.g. a feature vector). The
        /// values are held fixed: every copy of the row the method makes is fed them, and nothing is attributed to them.
        /// </summary>
        public IDictionary<string, string> ExtraInputColumns { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>Ablation-CAM: the value of an ablated channel; null (the default): pytorch-grad-cam's fill.</summary>
        public Cam.AblationFill? AblationFill { get; set; }

        /// <summary>Guided Grad-CAM: pytorch-grad-cam's convention (null, the default) or Captum's.</summary>
        public Cam.GuidedGradCamConvention? GuidedGradCamConvention { get; set; }

        /// <summary>
        /// CAM methods: several target layers whose maps are combined (the mean of the normalised per-layer maps, or their
        /// product for RefineCAM; <see cref="Explainability.Cam.CamOptions.TargetLayers"/>); give this or
        /// <see cref="TargetLayer"/>. The raw map column holds the first layer's map.
        /// </summary>
        public IReadOnlyList<string>? TargetLayers { get; set; }

        /// <summary>CAM methods: pytorch-grad-cam's eigen_smooth (<see cref="Explainability.Cam.CamOptions.EigenSmooth"/>). Default false.</summary>
        public bool EigenSmooth { get; set; }

        /// <summary>CAM methods: pytorch-grad-cam's aug_smooth (<see cref="Explainability.Cam.CamOptions.AugSmooth"/>). Default false.</summary>
        public bool AugSmooth { get; set; }

        /// <summary>CAM, FullGrad and attention methods: optional column with the raw map at the layer's (or patch grid's) resolution [h, w].</summary>
        public string? RawMapColumnName { get; set; }

        /// <summary>Input attributions: how [C, H, W] becomes the saliency; null (the default): Σ for methods that conserve the score (<see cref="ExplanationMethod.ConservesScore"/>: LRP, integrated gradients, input × gradient), max |·| for the others.</summary>
        public ChannelReduction? Reduction { get; set; }

        /// <summary>Gradient methods: |gradient| or the signed gradient; null (the default): the method's own (saliency |·|, <see cref="ExplanationMethods.SignedGradient"/> signed).</summary>
        public bool? Absolute { get; set; }

        /// <summary>SmoothGrad family: noisy samples per row. Default 50; at most <see cref="ExplainLimits.MaxSamples"/> of <see cref="ExplainOptionsBase.Limits"/>.</summary>
        public int Samples { get; set; } = 50;

        /// <summary>SmoothGrad family: noise σ as a fraction of each row's value range. Default 0.15.</summary>
        public double NoiseLevel { get; set; } = 0.15;

        /// <summary>SmoothGrad family: the noise seed. Default 0.</summary>
        public int Seed { get; set; }

        /// <summary>RISE: the number of random masks; null (the default): the method's default.</summary>
        public int? Masks { get; set; }

        /// <summary>Occlusion: the side of the square occluding window; null (the default): the method's default.</summary>
        public int? Window { get; set; }

        /// <summary>Occlusion: the stride along y and x; null (the default): the method's default.</summary>
        public int? Stride { get; set; }

        /// <summary>Occlusion: the value an occluded window is filled with; null (the default): the method's default.</summary>
        public float? BaselineValue { get; set; }

        /// <summary>Integrated gradients: quadrature points. Default 50; at most <see cref="ExplainLimits.MaxSteps"/> of <see cref="ExplainOptionsBase.Limits"/>.</summary>
        public int Steps { get; set; } = 50;

        /// <summary>LRP: the composite, an entry of <see cref="LrpComposites"/>. Default <see cref="LrpComposites.EpsilonPlus"/>.</summary>
        public LrpCompositeDescriptor Composite { get; set; } = LrpComposites.EpsilonPlus;

        /// <summary>LRP: ε. Default <see cref="Explainability.Lrp.Rules.LrpRules.DefaultEpsilon"/>.</summary>
        public double Epsilon { get; set; } = Explainability.Lrp.Rules.LrpRules.DefaultEpsilon;

#pragma warning disable CA1819 // Options in ML.NET's idiom: plain arrays.
        /// <summary>LRP <see cref="LrpComposites.EpsilonGammaBox"/>: the input's lowest values (one, or one per channel).</summary>
        public double[]? Low { get; set; }

        /// <summary>LRP <see cref="LrpComposites.EpsilonGammaBox"/>: the input's highest values (one, or one per channel).</summary>
        public double[]? High { get; set; }
#pragma warning restore CA1819

        /// <summary>LRP: the output relevance. Default <see cref="LrpSeed.OneHot"/>.</summary>
        public LrpSeed LrpSeed { get; set; } = LrpSeed.OneHot;

        /// <summary>LRP: fold BatchNormalization first. Default true.</summary>
        public bool Canonize { get; set; } = true;

        /// <summary>
        /// What is explained: an entry of <see cref="Targets.ExplanationTargets"/> (softmax, binary, segmentation,
        /// detector-boxes, similarity, finer); null (the default): the class logit. The target column chooses each row's
        /// class column; the target's parameters are shared by every row.
        /// </summary>
        public Targets.ExplanationTargetKind? TargetKind { get; set; }

        /// <summary>The parameters <see cref="TargetKind"/> needs (mask, reference boxes, concept vector, α…); saved with the pipeline.</summary>
        public Targets.TargetSettings? Target { get; set; }

        private protected override string? RawColumnName => RawMapColumnName;
    }

    /// <summary>Prepares the method on the model and checks the input schema and first row.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type or size.</exception>
    /// <exception cref="InvalidOperationException">The data view has no rows.</exception>
    public ExplainTransformer Fit(IDataView input) => _core.Fit(input, (s, m) => new ExplainTransformer(s, m));

    /// <summary>The input columns plus the explanation columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => _core.GetOutputSchema(inputSchema);
}
