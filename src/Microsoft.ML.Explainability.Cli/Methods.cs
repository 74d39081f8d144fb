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

/// <summary>The methods of <c>explain</c>, <c>evaluate</c> and <c>ablate</c>, by name.</summary>
internal static class Methods
{
    public static readonly IReadOnlyList<ExplanationMethod> All =
    [
        Cam("grad-cam", ExplanationMethods.GradCam, "Grad-CAM: channel weights = spatial mean of the gradient"),
        Cam("hires-cam", ExplanationMethods.HiResCam, "HiResCAM: Σ_k G ⊙ A"),
        Cam("grad-cam-plus-plus", ExplanationMethods.GradCamPlusPlus, "Grad-CAM++ (pytorch-grad-cam's closed form)"),
        Cam("xgrad-cam", ExplanationMethods.XGradCam, "XGrad-CAM"),
        Cam("layer-cam", ExplanationMethods.LayerCam, "LayerCAM: Σ_k ReLU(G) ⊙ A"),
        Cam("grad-cam-element-wise", ExplanationMethods.GradCamElementWise, "Grad-CAM element-wise: Σ_k ReLU(G ⊙ A)"),
        Cam("eigen-cam", ExplanationMethods.EigenCam, "Eigen-CAM: first principal component of the activations (class-independent)"),
        Cam("eigen-grad-cam", ExplanationMethods.EigenGradCam, "Eigen-Grad-CAM: first principal component of G ⊙ A"),
        Cam("score-cam", ExplanationMethods.ScoreCam, "Score-CAM: channel weights from masked forward passes"),
        Cam("ablation-cam", ExplanationMethods.AblationCam, "Ablation-CAM: channel weights from ablated forward passes"),
        new("full-grad", MapKind.Map, "FullGrad: input-gradient and bias-gradient maps (--raw: their sum before the final normalisation)", FullGradRun),
        Gradient("saliency", "Saliency: |∂y/∂x| per input element", GradientMethod.Saliency, absolute: true),
        Gradient("gradient", "The signed gradient ∂y/∂x", GradientMethod.Saliency, absolute: false),
        Gradient("input-x-gradient", "Input × gradient", GradientMethod.InputXGradient, absolute: true),
        new("integrated-gradients", MapKind.InputAttribution, "Integrated gradients (--steps, --baseline zero|VALUE|FILE.npy)", IntegratedGradientsRun),
        Gradient("smooth-grad", "SmoothGrad (--samples, --noise)", GradientMethod.SmoothGrad, absolute: true),
        new("occlusion", MapKind.InputAttribution, "Occlusion (--window, --stride, --baseline VALUE)", OcclusionRun),
        new("rise", MapKind.Map, "RISE: randomised input sampling (--masks, --seed)", RiseRun),
        Gradient("guided-backprop", "Guided Backpropagation", GradientMethod.GuidedBackprop, absolute: true),
        Gradient("deconvnet", "Deconvnet", GradientMethod.Deconvnet, absolute: true),
        new("guided-grad-cam", MapKind.InputAttribution, "Guided Grad-CAM: Guided Backprop ⊙ Grad-CAM", GuidedGradCamRun),
        new("lrp", MapKind.InputAttribution, "LRP (--composite epsilon-plus|epsilon-alpha2-beta1|epsilon-gamma-box|epsilon-plus-flat, --low, --high)", LrpRun),
        Transformer("attention-rollout", TransformerMethod.AttentionRollout, "Attention rollout (vision transformers, class-independent)"),
        Transformer("attention-gradient", TransformerMethod.GradientWeightedAttention, "Gradient-weighted attention relevance (Chefer et al. 2021)"),
        Transformer("transformer-lrp", TransformerMethod.Lrp, "Transformer LRP (AttnLRP-style rules)"),
    ];

    /// <summary>The LRP composites of <c>--composite</c>.</summary>
    /// <summary>The CAM methods by command-line name (one table, derived from <see cref="All"/>).</summary>
    public static IReadOnlyDictionary<string, Explainers.ExplanationMethod> CamMethods { get; } =
        All.Where(m => m.Cam is not null).ToDictionary(m => m.Name, m => m.Cam!, StringComparer.OrdinalIgnoreCase);

    public static readonly IReadOnlyList<string> Composites = ["epsilon-plus", "epsilon-alpha2-beta1", "epsilon-gamma-box", "epsilon-plus-flat"];

    /// <summary>The method named <paramref name="name"/>, or a usage error listing the names.</summary>
    public static ExplanationMethod Find(string? name)
    {
        var method = All.FirstOrDefault(m => string.Equals(m.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));
        return method ?? throw new CliException(ExitCodes.Usage, $"Unknown method '{name}'. Methods: {string.Join(", ", All.Select(m => m.Name))}.");
    }

    /// <summary>The method, which must be implemented.</summary>
    public static ExplanationMethod Require(string? name)
    {
        var method = Find(name);
        return method.IsAvailable ? method : throw NotAvailable(method);
    }

    public static CliException NotAvailable(ExplanationMethod method) =>
        new(ExitCodes.NotAvailable, $"Method '{method.Name}' is not available: this version of Microsoft.ML.Explainability does not implement it yet. Available methods: {string.Join(", ", All.Where(m => m.IsAvailable).Select(m => m.Name))}.");

    /// <summary>The composite named by <c>--composite</c> (and, for epsilon-gamma-box, the bounds --low/--high or the batch's range).</summary>
    public static LrpComposite Composite(MethodOptions options, FloatTensor batch)
    {
        switch (options.Composite.Trim().ToLowerInvariant())
        {
            case "epsilon-plus":
                return LrpComposite.EpsilonPlus();
            case "epsilon-alpha2-beta1":
                return LrpComposite.EpsilonAlpha2Beta1();
            case "epsilon-plus-flat":
                return LrpComposite.EpsilonPlusFlat();
            case "epsilon-gamma-box":
                var low = options.Low?.Select(v => (double)v).ToArray() ?? [batch.Data.Min()];
                var high = options.High?.Select(v => (double)v).ToArray() ?? [batch.Data.Max()];
                return LrpComposite.EpsilonGammaBox(low, high);
            default:
                throw new CliException(ExitCodes.Usage, $"Unknown LRP composite '{options.Composite}'. Composites: {string.Join(", ", Composites)}.");
        }
    }

    private static ExplanationMethod Cam(string name, Explainers.ExplanationMethod method, string description) => new(name, MapKind.Map, description, (model, batch, targets, options) =>
    {
        using var cam = new CamExplainer(model, new CamOptions { Method = method, TargetLayer = options.Layer, Layout = options.Layout, Execution = options.Execution });
        var result = cam.Explain(batch, targets, options.Cancellation);
        return new MethodResult(options.Raw ? result.RawMaps : result.Maps, result.Targets, $"target layer {cam.Layer}");
    }, method);

    private static ExplanationMethod Gradient(string name, string description, GradientMethod method, bool absolute) => new(name, MapKind.InputAttribution, description, (model, batch, targets, options) =>
    {
        using var explainer = new GradientExplainer(model, new GradientOptions
        {
            Method = method,
            Absolute = absolute,
            Samples = options.Samples,
            NoiseLevel = options.Noise,
            Seed = options.Seed,
            Execution = options.Execution,
        });
        var result = explainer.Explain(batch, targets, options.Cancellation);
        return new MethodResult(result.Attributions, result.Targets, null, result.TargetScores);
    });

    private static MethodResult IntegratedGradientsRun(OnnxModel model, FloatTensor batch, long[]? targets, MethodOptions options)
    {
        using var explainer = new IntegratedGradients(model, new IntegratedGradientsOptions { Steps = options.Steps, Baseline = Baseline(options.Baseline, batch), Execution = options.Execution });
        var result = explainer.Explain(batch, targets, options.Cancellation);
        var delta = result.ConvergenceDelta is { } d ? d.Max(Math.Abs) : 0;
        return new MethodResult(result.Attributions, result.Targets, string.Create(CultureInfo.InvariantCulture, $"{options.Steps} steps, max |convergence delta| {delta:G3}"), result.TargetScores);
    }

    private static FloatTensor? Baseline(string? text, FloatTensor batch)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Equals("zero", StringComparison.OrdinalIgnoreCase) || text.Equals("zeros", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            long[] shape = [1, .. batch.Shape.Skip(1)];
            return new FloatTensor(Enumerable.Repeat(value, batch.RowLength).ToArray(), shape);
        }

        var path = Path.GetFullPath(text);
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.BadInput, $"--baseline '{text}' is neither 'zero', a number, nor an existing .npy file.");
        }

        return Inputs.InputLoader.ReadBatch(path, batch.Rank);
    }

    private static MethodResult FullGradRun(OnnxModel model, FloatTensor batch, long[]? targets, MethodOptions options)
    {
        using var explainer = new FullGrad(model, new FullGradOptions { Execution = options.Execution });
        var result = explainer.Explain(batch, targets, options.Cancellation);
        return new MethodResult(options.Raw ? result.RawMaps : result.Maps, result.Targets, $"{explainer.Layers.Count} bias layers", result.TargetScores);
    }

    private static MethodResult OcclusionRun(OnnxModel model, FloatTensor batch, long[]? targets, MethodOptions options)
    {
        var (windowHeight, windowWidth) = Pair(options.Window, "--window", 15);
        var (strideY, strideX) = Pair(options.Stride, "--stride", 8);
        float baseline = 0;
        if (options.Baseline is { Length: > 0 } text && !text.Equals("zero", StringComparison.OrdinalIgnoreCase)
            && !float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out baseline))
        {
            throw new CliException(ExitCodes.Usage, $"Occlusion's --baseline must be 'zero' or a number; got '{text}'.");
        }

        using var explainer = new Occlusion(model, new OcclusionOptions { WindowHeight = windowHeight, WindowWidth = windowWidth, StrideY = strideY, StrideX = strideX, BaselineValue = baseline, Execution = options.Execution });
        var result = explainer.Explain(batch, targets, options.Cancellation);
        return new MethodResult(result.Attributions, result.Targets, $"window {windowHeight}×{windowWidth}, stride {strideY}×{strideX}", result.TargetScores);
    }

    private static MethodResult RiseRun(OnnxModel model, FloatTensor batch, long[]? targets, MethodOptions options)
    {
        if (options.Raw)
        {
            throw new CliException(ExitCodes.Usage, "--raw applies to CAM, FullGrad and attention methods; RISE has no layer-resolution map.");
        }

        using var explainer = new Rise(model, new RiseOptions { Masks = options.Masks, Seed = options.Seed, Execution = options.Execution });
        var result = explainer.Explain(batch, targets, options.Cancellation);
        var maps = result.Attributions;
        return new MethodResult(new FloatTensor(maps.Data, maps.BatchSize, maps.Shape[^2], maps.Shape[^1]), result.Targets, $"{options.Masks} masks", result.TargetScores);
    }

    /// <summary>Parses "H" or "HxW" (a positive size pair), or gives the default.</summary>
    private static (int, int) Pair(string? text, string option, int fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (fallback, fallback);
        }

        var size = Inputs.ImageOptions.ParseSize(text, option);
        return size ?? (fallback, fallback);
    }

    private static MethodResult GuidedGradCamRun(OnnxModel model, FloatTensor batch, long[]? targets, MethodOptions options)
    {
        using var explainer = new GuidedGradCam(model, new CamOptions { TargetLayer = options.Layer, Layout = options.Layout, Execution = options.Execution });
        var result = explainer.Explain(batch, targets, options.Cancellation);
        return new MethodResult(result.Attributions, result.Targets, $"target layer {explainer.Layer}", result.TargetScores);
    }

    private static MethodResult LrpRun(OnnxModel model, FloatTensor batch, long[]? targets, MethodOptions options)
    {
        var composite = Composite(options, batch);
        using var explainer = new LrpExplainer(model, new LrpOptions { Composite = composite, Execution = options.Execution });
        var result = explainer.Explain(batch, targets);
        return new MethodResult(result.Relevance, result.Targets, $"composite {composite.Name}", result.TargetScores);
    }

    private static ExplanationMethod Transformer(string name, TransformerMethod method, string description) => new(name, MapKind.Map, description, (model, batch, targets, options) =>
    {
        using var explainer = new TransformerExplainer(model, new TransformerOptions { Method = method, Execution = options.Execution });
        var result = explainer.Explain(batch, targets);
        return new MethodResult(options.Raw ? result.RawMaps : result.Maps, result.Targets, $"{explainer.Attention.Blocks.Count} attention blocks, {explainer.Attention.GridHeight}×{explainer.Attention.GridWidth} patch grid", result.TargetScores);
    });
}
