using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// The ablation study of the Grad-CAM paper's appendix (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep
/// Networks via Gradient-based Localization", IJCV 2020, appendix "Ablation studies"): a CAM method is recomputed
/// with one component changed at a time — (a) the target layer, over every convolutional block; (b) the ReLU on the
/// final map, on or off; (c) the gradient through the network's ReLUs: true, guided backpropagation or deconvnet
/// (<see cref="ModifiedReluRules"/>, passed through <see cref="CamOptions.Rules"/>); (d) the pooling of the gradients
/// into channel weights, global average (Grad-CAM) or global maximum (wₖ = max_ij ∂y/∂Aᵏᵢⱼ, computed with
/// <see cref="CamMaps.WeightedSum"/> on the activations and gradients of a <see cref="GradientSession"/>) — and every
/// variant is scored with the same metrics on the same inputs and targets. Each metric is reported per variant with
/// the paired per-sample difference from the default variant.
/// </summary>
public static class AblationStudy
{
    private static readonly HashSet<string> Activations = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Gelu", "HardSwish", "HardSigmoid", "Sigmoid", "Tanh", "Clip", "Mish", "Softplus", "ThresholdedRelu",
    };

    /// <summary>
    /// The candidate target layers that end a block: feature maps [N, C, h, w] produced by an activation (Relu,
    /// HardSwish, Clip as ReLU6, …) and token tensors [N, T, C] produced by LayerNormalization, in graph order, from
    /// <see cref="TargetLayers.List(Onnx.OnnxModel)"/>.
    /// </summary>
    /// <exception cref="InvalidOnnxModelException">ONNX Runtime cannot run the model to measure its shapes.</exception>
    public static IReadOnlyList<TargetLayer> BlockLayers(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return TargetLayers.List(model).Where(l =>
        {
            var op = l.Producer?.Split(' ')[0] ?? "";
            return l.Layout == LayerLayout.ChannelsFirst ? Activations.Contains(op) : op == "LayerNormalization";
        }).ToArray();
    }

    /// <summary>The variants a study of <paramref name="model"/> with <paramref name="options"/> runs, default first, and the ones it leaves out with the reason.</summary>
    /// <exception cref="TargetLayerException">The default layer cannot be found or has no spatial grid.</exception>
    public static (IReadOnlyList<AblationVariant> Variants, IReadOnlyList<(string Variant, string Reason)> Skipped) Plan(OnnxModel model, AblationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new AblationOptions();
        if (options.Method is null || options.Method.Family != MethodFamily.Cam)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Method?.Name, "An ablation study varies a CAM method; give a CAM entry of ExplanationMethods.");
        }

        var defaultLayer = options.DefaultLayer is { } name ? TargetLayers.Resolve(model, name) : TargetLayers.Automatic(model, options.Output);
        var reference = new AblationVariant("default", AblationFactor.Default, $"layer {defaultLayer.Name}, map ReLU on, plain gradient, {(options.Method == ExplanationMethods.GradCam ? "global average pooling" : options.Method.DisplayName + " weighting")}", defaultLayer.Name, true, ReluGradientKind.Plain, GradientPoolingKind.Average);
        var variants = new List<AblationVariant> { reference };
        var skipped = new List<(string, string)>();
        if (options.VaryLayer)
        {
            var layers = options.Layers ?? BlockLayers(model).Select(l => l.Name).ToArray();
            foreach (var layer in layers.Where(l => l != defaultLayer.Name).Distinct(StringComparer.Ordinal))
            {
                variants.Add(reference with { Name = "layer: " + layer, Factor = AblationFactor.TargetLayer, Setting = layer, Layer = layer });
            }
        }

        if (options.VaryMapRelu)
        {
            variants.Add(reference with { Name = "map ReLU: off", Factor = AblationFactor.MapRelu, Setting = "off", MapRelu = false });
        }

        bool usesGradients = options.Method.Needs.HasFlag(MethodNeeds.Gradients);
        if (options.VaryReluGradient)
        {
            if (usesGradients)
            {
                variants.Add(reference with { Name = "gradient: guided", Factor = AblationFactor.ReluGradient, Setting = "guided backpropagation", Gradient = ReluGradientKind.Guided });
                variants.Add(reference with { Name = "gradient: deconvnet", Factor = AblationFactor.ReluGradient, Setting = "deconvnet", Gradient = ReluGradientKind.Deconvnet });
            }
            else
            {
                skipped.Add(("gradient: guided / deconvnet", $"{options.Method.DisplayName} does not use gradients."));
            }
        }

        if (options.VaryPooling)
        {
            if (options.Method == ExplanationMethods.GradCam)
            {
                variants.Add(reference with { Name = "pooling: max", Factor = AblationFactor.GradientPooling, Setting = "global max", Pooling = GradientPoolingKind.Max });
            }
            else
            {
                skipped.Add(("pooling: max", $"{options.Method.DisplayName} does not weight channels by a pooling of the gradients (only Grad-CAM averages them)."));
            }
        }

        return (variants, skipped);
    }

    /// <summary>Runs the study: explains <paramref name="inputs"/> with every variant and scores each with the metrics.</summary>
    /// <param name="model">A single-input image classifier.</param>
    /// <param name="inputs">The images, [N, C, H, W].</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class), the same for every variant.</param>
    /// <param name="options">Method, factors, metrics, masks; null for the defaults.</param>
    /// <param name="progress">Reports variants done (metric "ablation").</param>
    /// <param name="cancellationToken">Checked between variants and inside the metrics.</param>
    /// <exception cref="EvaluationInputException">Empty or non-finite inputs, wrong target count, masks of the wrong shape or with an empty mask.</exception>
    /// <exception cref="TargetLayerException">A layer cannot be used as a target layer.</exception>
    public static AblationResult Run(
        OnnxModel model, FloatTensor inputs, long[]? targets = null, AblationOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        EvaluationGuard.RequireInputs(inputs);
        options ??= new AblationOptions();
        if (inputs.Rank != 4)
        {
            throw new EvaluationInputException($"The ablation study explains images [N, C, H, W]; the inputs have shape {inputs.ShapeText}.");
        }

        var (variants, skipped) = Plan(model, options);
        using var scorer = new ModelScorer(model, ExplainedOutput.Resolve(model, options.Output), options.Execution);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        bool localise = options.Masks is not null;
        if (localise)
        {
            // Checks the masks' shape and emptiness once, before any explanation is computed.
            Localisation.PointingGame(SpreadOverChannels(FloatTensor.Zeros(inputs.BatchSize, inputs.Shape[2], inputs.Shape[3]), inputs), options.Masks!);
        }

        var report = new EvaluationReport();
        var maps = new List<AblationVariantMaps>();
        var notes = new List<string>();
        var explainers = new Dictionary<(string Layer, ReluGradientKind Gradient), CamResult>();
        for (int v = 0; v < variants.Count; v++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var variant = variants[v];
            var result = Explain(model, inputs, resolved, options, variant, explainers);
            if (variant.Factor is AblationFactor.ReluGradient or AblationFactor.GradientPooling && result.RawMaps.Data.AsSpan().SequenceEqual(maps[0].RawMaps.Data))
            {
                notes.Add($"'{variant.Name}' gives exactly the default's maps" + (variant.Factor == AblationFactor.ReluGradient
                    ? $": no ReLU lies between the target layer {variant.Layer} and the output, so the gradient at the layer does not depend on the ReLU backward rule."
                    : ": the gradient is constant over the layer's grid (as when global average pooling and a linear classifier follow the layer, where Grad-CAM equals CAM), so its maximum equals its mean."));
            }

            maps.Add(result);
            Score(report, scorer, inputs, resolved, options, variant.Name, SpreadOverChannels(result.Maps, inputs), cancellationToken);
            progress?.Report(new EvaluationProgress("ablation", v + 1, variants.Count));
        }

        return new AblationResult(options.Method, maps, skipped, notes, resolved, report);
    }

    /// <summary>
    /// Maps [N, H, W] as explanations of the inputs' shape [N, C, H, W], which the metrics need: each map is spread
    /// evenly over the C channels, so that its channel sum (the saliency the metrics rank) is the map.
    /// </summary>
    /// <exception cref="EvaluationInputException">The maps do not fit the inputs.</exception>
    public static FloatTensor SpreadOverChannels(FloatTensor maps, FloatTensor inputs)
    {
        ArgumentNullException.ThrowIfNull(maps);
        EvaluationGuard.RequireInputs(inputs);
        if (inputs.Rank != 4)
        {
            throw new EvaluationInputException($"Maps are spread over images [N, C, H, W]; the inputs have shape {inputs.ShapeText}.");
        }

        int n = inputs.BatchSize, c = (int)inputs.Shape[1], plane = (int)(inputs.Shape[2] * inputs.Shape[3]);
        if (maps.Rank != 3 || maps.BatchSize != n || maps.RowLength != plane)
        {
            throw new EvaluationInputException($"Maps of shape {maps.ShapeText} do not fit inputs {inputs.ShapeText}.");
        }

        var data = new float[inputs.Length];
        for (int r = 0; r < n; r++)
        {
            var map = maps.Row(r);
            for (int k = 0; k < c; k++)
            {
                for (int p = 0; p < plane; p++)
                {
                    data[(((r * c) + k) * plane) + p] = map[p] / c;
                }
            }
        }

        return new FloatTensor(data, inputs.Shape);
    }

    private static AblationVariantMaps Explain(
        OnnxModel model, FloatTensor inputs, long[] targets, AblationOptions options, AblationVariant variant,
        Dictionary<(string, ReluGradientKind), CamResult> cache)
    {
        int height = (int)inputs.Shape[2], width = (int)inputs.Shape[3];
        if (variant.Pooling == GradientPoolingKind.Max)
        {
            return MaxPooled(model, inputs, targets, options, variant, height, width);
        }

        if (!cache.TryGetValue((variant.Layer, variant.Gradient), out var cam))
        {
            var rules = variant.Gradient switch
            {
                ReluGradientKind.Guided => ModifiedReluRules.WithGuidedBackprop(),
                ReluGradientKind.Deconvnet => ModifiedReluRules.WithDeconvnet(),
                _ => Autodiff.GradientRuleRegistry.Default,
            };
            using var explainer = new CamExplainer(model, new CamOptions { Method = options.Method, TargetLayer = variant.Layer, Output = options.Output, Execution = options.Execution, Rules = rules });
            cam = explainer.Explain(inputs, targets);
            cache[(variant.Layer, variant.Gradient)] = cam;
        }

        var maps = variant.MapRelu ? cam.Maps : CamMaps.SignedPostProcess(cam.RawMaps, height, width);
        return new AblationVariantMaps(variant, cam.Layer, maps, cam.RawMaps);
    }

    /// <summary>Grad-CAM with wₖ = max_ij Gᵏᵢⱼ: activations and gradients at the layer from one gradient session.</summary>
    private static AblationVariantMaps MaxPooled(OnnxModel model, FloatTensor inputs, long[] targets, AblationOptions options, AblationVariant variant, int height, int width)
    {
        var shapes = ShapeProbe.Run(GradientModel.Prepare(model));
        var layer = TargetLayers.Resolve(model, variant.Layer);
        using var session = new GradientSession(
            GradientModel.Build(model, new GradientRequest
            {
                Output = ExplainedOutput.Resolve(model, options.Output),
                Seed = SeedKind.OneHotTarget,
                WithRespectTo = [layer.Name],
                Shapes = shapes,
                Activations = [layer.Name],
            }),
            options.Execution);
        var result = session.Run(inputs, targets);
        int n = inputs.BatchSize, c = layer.Channels, cells = layer.GridSize;
        var a = new FloatTensor(layer.ToChannelsFirst(result.Outputs[layer.Name]), n, c, layer.Height, layer.Width);
        var g = layer.ToChannelsFirst(result.Gradients[layer.Name]);
        var weights = new float[n * c];
        for (int r = 0; r < n; r++)
        {
            for (int k = 0; k < c; k++)
            {
                float max = float.NegativeInfinity;
                foreach (var value in g.AsSpan(((r * c) + k) * cells, cells))
                {
                    max = Math.Max(max, value);
                }

                weights[(r * c) + k] = max;
            }
        }

        var raw = CamMaps.WeightedSum(a, new FloatTensor(weights, n, c));
        var maps = variant.MapRelu ? CamMaps.PostProcess(raw, height, width) : CamMaps.SignedPostProcess(raw, height, width);
        return new AblationVariantMaps(variant, layer, maps, raw);
    }

    private static void Score(EvaluationReport report, ModelScorer scorer, FloatTensor inputs, long[] targets, AblationOptions options, string name, FloatTensor explanations, CancellationToken cancellationToken)
    {
        var metrics = options.Metrics;
        if (metrics.HasFlag(AblationMetrics.Deletion))
        {
            report.AddCurves(name, DeletionInsertion.Deletion(scorer, inputs, explanations, targets, options.Curves, null, cancellationToken));
        }

        if (metrics.HasFlag(AblationMetrics.Insertion))
        {
            report.AddCurves(name, DeletionInsertion.Insertion(scorer, inputs, explanations, targets, options.Curves, null, cancellationToken));
        }

        if (metrics.HasFlag(AblationMetrics.FaithfulnessCorrelation))
        {
            report.Add(name, "faithfulness correlation", FaithfulnessCorrelation.Run(scorer, inputs, explanations, targets, options.FaithfulnessCorrelation, null, cancellationToken), higherIsBetter: true);
        }

        if (options.Masks is { } masks)
        {
            if (metrics.HasFlag(AblationMetrics.PointingGame))
            {
                report.Add(name, "pointing game", Localisation.PointingGame(explanations, masks), higherIsBetter: true);
            }

            if (metrics.HasFlag(AblationMetrics.RelevanceMassAccuracy))
            {
                report.Add(name, "relevance mass accuracy", Localisation.RelevanceMassAccuracy(explanations, masks), higherIsBetter: true);
            }

            if (metrics.HasFlag(AblationMetrics.RelevanceRankAccuracy))
            {
                report.Add(name, "relevance rank accuracy", Localisation.RelevanceRankAccuracy(explanations, masks), higherIsBetter: true);
            }
        }

        if (metrics.HasFlag(AblationMetrics.Sparseness))
        {
            report.Add(name, "sparseness (Gini)", Complexity.Sparseness(explanations), higherIsBetter: true);
        }

        if (metrics.HasFlag(AblationMetrics.Complexity))
        {
            report.Add(name, "complexity (entropy)", Complexity.EntropyComplexity(explanations), higherIsBetter: false);
        }
    }
}
