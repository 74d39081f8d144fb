using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.VisionTransformers;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Compilation;

/// <summary>
/// Compiles an explanation method of <see cref="ExplanationMethods"/> into a standalone ONNX model that runs in any ONNX
/// runtime without this library: the original outputs, plus <see cref="ExplanationOutput"/> (float) and
/// <see cref="ClassOutput"/> (int64 [N], the class each row was explained for), with an int64 input
/// <see cref="TargetsInput"/> (one class per row, −1 for the predicted class; optional with default [−1] unless
/// <see cref="CompileOptions.RequiredTargets"/>). It is built from the code the library runs, so the two cannot drift:
/// the backward graph from <see cref="GradientModel.Build"/> with the method's rule registry, LRP's working graph from
/// <see cref="LrpExplainer"/> (one-hot or logit seed), CAM raw maps from each weighting's graph form (written in the
/// weighting's file beside its C# form) and <see cref="CamMaps"/>'s post-processing. Integrated gradients and the
/// SmoothGrad family tile their path points or noisy copies into the batch: one call computes the clean row (whose
/// predicted class is the target) and its copies.
/// </summary>
/// <remarks>
/// Each method's output equals its explainer's <see cref="Explanation.Values"/>: CAM maps N×H×W at the input's resolution;
/// input attributions with the input's shape (saliency max over channels N×1×H×W with <see cref="CompileOptions.ReduceChannels"/>);
/// Guided Grad-CAM the Guided Backprop gradient times the Grad-CAM map. SmoothGrad, SmoothGrad² and VarGrad draw their
/// noise with ONNX <c>RandomNormalLike</c> seeded by <see cref="MethodSettings.Seed"/>: the noise differs from the
/// library's generator (and from one run of a session to the next), so only the statistics agree. Methods whose
/// <see cref="ExplanationMethod.Compiles"/> is false state why in <see cref="ExplanationMethod.NotCompilableReason"/>.
/// </remarks>
public static class ExplanationCompiler
{
    /// <summary>The explanation output.</summary>
    public const string ExplanationOutput = "saliency";

    /// <summary>The int64 [N] targets input (−1: the predicted class).</summary>
    public const string TargetsInput = "targets";

    /// <summary>The int64 [N] output holding the class each row was explained for.</summary>
    public const string ClassOutput = "explained_class";

    /// <summary>The methods that compile, in registry order.</summary>
    public static IReadOnlyList<ExplanationMethod> Compilable => [.. ExplanationMethods.All.Where(m => m.Compiles)];

    /// <summary>Compiles <paramref name="method"/> for <paramref name="model"/>.</summary>
    /// <param name="model">A model with one float image input and a [N, classes] output.</param>
    /// <param name="method">A method of <see cref="ExplanationMethods"/> whose <see cref="ExplanationMethod.Compiles"/> is true.</param>
    /// <param name="settings">The method's settings, as its explainer reads them (null: every default).</param>
    /// <param name="options">How the compiled model takes targets and lays out saliency.</param>
    /// <exception cref="ArgumentException">The method does not compile (the message gives its reason and lists those that do), or a setting cannot be compiled (a per-row baseline, a composite without its bounds).</exception>
    /// <exception cref="GradientException">The backward graph cannot be built (an operator without a rule on the path).</exception>
    public static CompiledExplanation Compile(OnnxModel model, ExplanationMethod method, MethodSettings? settings = null, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(method);
        if (!method.Compiles)
        {
            throw new ArgumentException($"'{method.Name}' cannot be compiled to one ONNX graph: {method.NotCompilableReason}. Methods that compile: {string.Join(", ", Compilable.Select(m => m.Name))}.", nameof(method));
        }

        settings ??= MethodSettings.Default;
        options ??= new CompileOptions();
        if (settings.Target is { PredictsFromOutput: true } target)
        {
            throw new Targets.ExplanationTargetException(target.Name, $"Target '{target.Name}' cannot be compiled yet: its class −1 is the arg-max of the output it reads, while the compiled graph's one-hot seed takes the arg-max of the explained score; give explicit classes through the library instead.");
        }

        // A target's score is appended to the model first (its nodes become part of the compiled graph, its gradient the seed's path).
        (model, settings, _, _) = method.ApplyTarget(model, settings);
        var explained = ExplainedModel.Create(model, settings.Output, settings.ExplainedInput);
        var built = method switch
        {
            _ when method.IsCamWeighting => CamMethod(explained, method, settings),
            _ when method == ExplanationMethods.GuidedGradCam => GuidedGradCam(explained, settings),
            _ when method == ExplanationMethods.Lrp => Lrp(explained, settings),
            _ when method == ExplanationMethods.IntegratedGradients => IntegratedGradients(explained, settings),
            _ when method.Mode is ValueTuple<GradientMethod, bool> mode => Gradient(explained, mode.Item1, settings.Absolute ?? mode.Item2, settings, options),
            _ when method == ExplanationMethods.FullGrad => FullGradMap(explained),
            _ when method.Mode is TransformerMethod mode => Transformer(explained, mode, settings),
            _ => throw new InvalidOperationException($"The registry marks '{method.Name}' as compilable but the explanation compiler has no form for it."),
        };
        return built.Finish(method, options);
    }

    /// <summary>
    /// A CAM over one or several target layers: one backward graph gives every layer's gradient, each layer's raw map is
    /// the weighting's graph form, and <see cref="CamMaps.EmitAggregate"/> combines them as the explainer does.
    /// EigenSmooth and AugSmooth are not compiled: the first needs each weighting's weighted activations (its graph form
    /// writes only their sum), the second a second pass over flipped inputs.
    /// </summary>
    private static CompilationGraph CamMethod(ExplainedModel explained, ExplanationMethod method, MethodSettings settings)
    {
        if (settings.EigenSmooth == true || settings.AugSmooth == true)
        {
            throw new ArgumentException($"EigenSmooth and AugSmooth are not compiled to one ONNX graph (the graph form of a CAM weighting writes only the sum over channels, and augmentation needs passes over flipped inputs); compile '{method.Name}' without them.", nameof(settings));
        }

        var layers = TargetLayers.Resolve(explained, TargetLayers.Names(settings.TargetLayer, settings.TargetLayers), null, settings.Layout);
        var weighting = method.CreateWeighting();
        string[] names = [.. layers.Select(l => l.Name)];
        var build = CompilationGraph.From(explained, GradientModel.Build(explained.Original, new GradientRequest
        {
            Output = explained.Output,
            WithRespectTo = names,
            Activations = names,
            Shapes = explained.Shapes,
            HessianVectorProducts = weighting.UsesSecondOrder ? [.. names.Select(n => new HessianVectorProduct(n))] : [],
        }));
        var (height, width) = Size(explained, layers[0]);
        var map = CamMaps.EmitAggregate(build.Emitter, [.. layers.Select(layer => RawCamMap(build, weighting, layer))], height, width, weighting.Aggregation);
        return build.Done(map, $"[N, {height}, {width}]", layers.Count == 1 ? $"target layer {layers[0]}" : $"target layers {string.Join("; ", layers)}");
    }

    private static CompilationGraph GuidedGradCam(ExplainedModel explained, MethodSettings settings)
    {
        var layer = Layer(explained, settings);
        if (explained.InputInfo.Rank != 4)
        {
            throw new ArgumentException($"Guided Grad-CAM needs an image input [N, C, H, W]; '{explained.Input}' is {explained.InputInfo.ShapeText}.", nameof(settings));
        }

        var gradients = GradientModel.Build(explained.Original, new GradientRequest { Output = explained.Output, WithRespectTo = [layer.Name], Activations = [layer.Name], Shapes = explained.Shapes });
        var build = CompilationGraph.From(explained, gradients);
        var captum = settings.GuidedGradCamConvention == GuidedGradCamConvention.Captum;
        var (height, width) = Size(explained, layer);
        var raw = RawCamMap(build, ExplanationMethods.GradCam.CreateWeighting(), layer);
        string map;
        if (captum)
        {
            // Captum's factor: ReLU of the raw map, nearest-neighbour upsampling (PyTorch's "nearest": ⌊i · in/out⌋).
            var four = build.Emitter.Unsqueeze(build.Emitter.Node("Relu", [raw]), [1]);
            var batchAndChannel = build.Emitter.Node("Slice", [build.Emitter.Shape(four), build.Emitter.Int64s(0), build.Emitter.Int64s(2), build.Emitter.Int64s(0)]);
            var sizes = build.Emitter.Node("Concat", [batchAndChannel, build.Emitter.Int64s(height, width)], AttributeValue.Int("axis", 0));
            map = build.Emitter.Squeeze(build.Emitter.Node("Resize", [four, "", "", sizes], AttributeValue.String("mode", "nearest"), AttributeValue.String("coordinate_transformation_mode", "asymmetric"), AttributeValue.String("nearest_mode", "floor")), [1]);
        }
        else
        {
            map = CamMaps.EmitPostProcess(build.Emitter, raw, height, width);
        }

        // A second backward pass over the same forward graph, with Guided Backprop's ReLU rule, seeded on the same class.
        var g = build.Emitter;
        var output = gradients.Shapes[explained.Output];
        var seed = g.Node("OneHot", [GradientModel.ResolvedTargetsOutput, g.Int64Scalar(output.Shape[1]), g.Constant(output.ElementType, [2], [0.0, 1.0])], AttributeValue.Int("axis", -1));
        var guided = new BackwardGraphBuilder(build.Graph, gradients.Shapes, ModifiedReluRules.WithGuidedBackprop())
            .Build(new Dictionary<string, string> { [explained.Output] = seed }, [explained.Input], new GraphEmitter(build.Graph, build.Emitter.Opset, "xai.guided"));
        return build.Done(g.Mul(guided[explained.Input], g.Unsqueeze(map, [1])), ShapeText(explained.InputInfo.Shape), $"target layer {layer}{(captum ? ", Captum's convention" : "")}");
    }

    private static CompilationGraph Lrp(ExplainedModel explained, MethodSettings settings)
    {
        var defaults = new LrpOptions();
        var descriptor = LrpComposites.Find(settings.Composite ?? LrpComposites.EpsilonPlus.Name);
        var composite = descriptor.Create(new LrpCompositeSettings { Epsilon = settings.Epsilon, Low = settings.Low, High = settings.High });
        var seed = settings.LrpSeed ?? defaults.Seed;
        var (working, rules, _) = LrpExplainer.Working(explained.Prepared, explained.Output, composite, seed, settings.Canonize ?? defaults.Canonize);
        var gradients = GradientModel.Build(working, new GradientRequest { Output = LrpExplainer.SeedTensor, WithRespectTo = [explained.Input], Activations = [explained.Output], Rules = rules });
        var build = CompilationGraph.From(explained, gradients);
        return build.Done(GradientModel.GradientOutput(explained.Input), ShapeText(explained.InputInfo.Shape), $"composite {composite.Name}, seed {seed}");
    }

    private static CompilationGraph FullGradMap(ExplainedModel explained)
    {
        if (explained.ImageSize.Height <= 0)
        {
            throw new ArgumentException($"FullGrad needs an image input [N, C, H, W]; '{explained.Input}' is {explained.InputInfo.ShapeText}.", nameof(explained));
        }

        var layers = FullGrad.FindBiasLayers(explained);
        var gradients = GradientModel.Build(explained.Original, FullGrad.Request(explained, layers.Select(l => l.Layer), SeedKind.OneHotTarget, GradientRuleRegistry.Default));
        var build = CompilationGraph.From(explained, gradients);
        var (height, width) = explained.ImageSize;
        return build.Done(FullGrad.EmitMap(build.Emitter, explained, layers), ShapeText([-1, height, width]), $"{layers.Count} bias layers");
    }

    /// <summary>
    /// The vision-transformer methods with <see cref="TransformerOptions"/>' defaults, as <see cref="TransformerExplainer"/>
    /// computes them: the attention chain (rollout, gradient-weighted attention) or transformer LRP's patch relevance,
    /// then <see cref="CamMaps"/>' post-processing.
    /// </summary>
    private static CompilationGraph Transformer(ExplainedModel explained, TransformerMethod method, MethodSettings settings)
    {
        var defaults = new TransformerOptions();
        var attention = AttentionDiscovery.Discover(explained.Prepared, explained.Shapes, defaults.Discovery);
        if (attention.IsWindowed)
        {
            throw new WindowedAttentionException(attention);
        }

        var blocks = attention.Blocks.Skip(defaults.StartBlock).ToArray();
        CompilationGraph build;
        string raw;
        switch (method)
        {
            case TransformerMethod.AttentionRollout:
                // Rollout needs no gradient; the last block's (the cheapest backward) only gives the graph its resolved-targets output.
                build = CompilationGraph.From(explained, GradientModel.Build(explained.Original, new GradientRequest { Output = explained.Output, WithRespectTo = [blocks[^1].Tensor], Activations = [.. blocks.Select(b => b.Tensor)], Shapes = explained.Shapes }));
                raw = AttentionRollout.EmitMap(build.Emitter, blocks, attention.Grid, defaults.HeadFusion, defaults.DiscardRatio, attention.ClassToken);
                break;
            case TransformerMethod.GradientWeightedAttention:
                var tensors = blocks.Select(b => b.Tensor).ToArray();
                build = CompilationGraph.From(explained, GradientModel.Build(explained.Original, new GradientRequest { Output = explained.Output, WithRespectTo = tensors, Activations = tensors, Shapes = explained.Shapes }));
                raw = GradientWeightedAttention.EmitMap(build.Emitter, blocks, attention.Grid, attention.ClassToken);
                break;
            case TransformerMethod.Lrp:
                var composite = LrpComposite.Transformer(defaults.LrpEpsilon);
                var (working, rules, _) = LrpExplainer.Working(explained.Prepared, explained.Output, composite, LrpSeed.Logit, new LrpOptions().Canonize);
                build = CompilationGraph.From(explained, GradientModel.Build(working, new GradientRequest { Output = LrpExplainer.SeedTensor, WithRespectTo = [explained.Input], Activations = [explained.Output], Rules = rules }));
                raw = VisionTransformers.TransformerLrp.EmitPatchMap(build.Emitter, GradientModel.GradientOutput(explained.Input), explained.InputInfo.Shape, attention.Grid);
                break;
            default:
                throw new ArgumentException($"Transformer method {method} has no compiled form.", nameof(method));
        }

        var (height, width) = explained.ImageSize;
        (height, width) = height > 0 && width > 0 ? (height, width) : (attention.GridHeight, attention.GridWidth);
        return build.Done(CamMaps.EmitPostProcess(build.Emitter, raw, height, width), ShapeText([-1, height, width]), $"{blocks.Length} attention blocks");
    }

    private static CompilationGraph Gradient(ExplainedModel explained, GradientMethod method, bool absolute, MethodSettings settings, CompileOptions options)
    {
        var rules = method switch
        {
            GradientMethod.GuidedBackprop => ModifiedReluRules.WithGuidedBackprop(),
            GradientMethod.Deconvnet => ModifiedReluRules.WithDeconvnet(),
            _ => GradientRuleRegistry.Default,
        };
        var gradients = GradientModel.Build(explained.Original, new GradientRequest { Output = explained.Output, WithRespectTo = [explained.Input], Shapes = explained.Shapes, Rules = rules });
        var build = CompilationGraph.From(explained, gradients);
        var g = build.Emitter;
        var shape = ShapeText(explained.InputInfo.Shape);
        switch (method)
        {
            case GradientMethod.Saliency:
            {
                var gradient = GradientModel.GradientOutput(explained.Input);
                var values = absolute ? g.Node("Abs", [gradient]) : gradient;
                if (options.ReduceChannels && explained.InputInfo.Rank >= 3)
                {
                    return build.Done(g.ReduceMax(values, [1], keepDims: true), ShapeText([explained.InputInfo.Shape[0], 1, .. explained.InputInfo.Shape.Skip(2)]), "max over channels");
                }

                return build.Done(values, shape, absolute ? "|gradient|" : "gradient");
            }

            case GradientMethod.InputXGradient:
                return build.Done(g.Mul(explained.Input, GradientModel.GradientOutput(explained.Input)), shape, "input x gradient");
            case GradientMethod.GuidedBackprop or GradientMethod.Deconvnet:
                return build.Done(GradientModel.GradientOutput(explained.Input), shape, method.ToString());
            default:
            {
                var d = new GradientOptions();
                int samples = settings.Samples ?? d.Samples;
                double noise = settings.NoiseLevel ?? d.NoiseLevel;
                int seed = settings.Seed ?? d.Seed;
                if (samples < 1 || !(noise >= 0) || double.IsInfinity(noise))
                {
                    throw new ArgumentOutOfRangeException(nameof(settings), "Samples must be at least 1 and NoiseLevel finite and non-negative.");
                }

                var tiled = build.Tile(samples, (e, x, copiesShape) =>
                {
                    // σ = noise level × (max − min) of the row; copies x + σ·𝒩(0, 1).
                    var axes = Enumerable.Range(1, explained.InputInfo.Rank - 1).Select(i => (long)i).ToArray();
                    var range = e.Sub(e.ReduceMax(x, axes, keepDims: true), e.ReduceMin(x, axes, keepDims: true));
                    var sigma = e.Unsqueeze(e.Mul(e.Scalar(noise), range), [1]);
                    var copies = e.Node("Expand", [e.Unsqueeze(x, [1]), copiesShape]);
                    var gaussian = e.Node("RandomNormalLike", [copies], AttributeValue.Float("seed", seed), AttributeValue.Float("mean", 0), AttributeValue.Float("scale", 1));
                    return e.Add(copies, e.Mul(sigma, gaussian));
                });
                var mean = g.ReduceMean(tiled, [1], keepDims: false);
                var meanSquare = g.ReduceMean(g.Mul(tiled, tiled), [1], keepDims: false);
                var result = method switch
                {
                    GradientMethod.SmoothGrad => mean,
                    GradientMethod.SmoothGradSquared => meanSquare,
                    _ => g.Sub(meanSquare, g.Mul(mean, mean)),
                };
                return build.Done(result, shape, string.Create(CultureInfo.InvariantCulture, $"{samples} samples, noise level {noise}, RandomNormalLike seed {seed}"));
            }
        }
    }

    private static CompilationGraph IntegratedGradients(ExplainedModel explained, MethodSettings settings)
    {
        var d = new IntegratedGradientsOptions();
        var options = new IntegratedGradientsOptions { Steps = settings.Steps ?? d.Steps, MaxSteps = Math.Max(settings.Steps ?? d.Steps, d.MaxSteps) };
        options.Validate();
        var (alphas, weights) = Quadrature.For(options.Rule, options.Steps);
        var gradients = GradientModel.Build(explained.Original, new GradientRequest { Output = explained.Output, WithRespectTo = [explained.Input], Shapes = explained.Shapes });
        var build = CompilationGraph.From(explained, gradients);
        var g = build.Emitter;
        int rank = explained.InputInfo.Rank;
        long[] stepShape = [1, options.Steps, .. Enumerable.Repeat(1L, rank - 1)];
        string baseline;
        if (settings.Baseline is { } given)
        {
            ExplainedModel.CheckFinite(given, nameof(settings));
            if (given.BatchSize != 1 || !given.Shape.Skip(1).SequenceEqual(explained.InputInfo.Shape.Skip(1)))
            {
                throw new ArgumentException($"A compiled integrated-gradients baseline must be one row [1, …] of the input's shape {explained.InputInfo.ShapeText}; it is {given.ShapeText}.", nameof(settings));
            }

            baseline = g.Constant(TensorElementType.Float, given.Shape, given.Data.Select(v => (double)v).ToArray());
        }
        else
        {
            baseline = g.Scalar(0);
        }

        // The copies are emitted after the batch is tiled, so x − x′ here reads the clean input.
        string difference = "";
        var start = settings.Baseline is null ? baseline : g.Unsqueeze(baseline, [1]);
        var alphaSteps = g.Constant(TensorElementType.Float, stepShape, alphas.Select(a => (double)(float)a).ToArray());
        var tiled = build.Tile(options.Steps, (e, x, _) =>
        {
            difference = e.Sub(x, baseline);
            return e.Add(start, e.Mul(alphaSteps, e.Unsqueeze(difference, [1])));
        });
        var integral = g.ReduceSum(g.Mul(tiled, g.Constant(TensorElementType.Float, stepShape, weights)), [1], keepDims: false);
        return build.Done(g.Mul(difference, integral), ShapeText(explained.InputInfo.Shape), string.Create(CultureInfo.InvariantCulture, $"{options.Steps} steps, {options.Rule}"));
    }

    /// <summary>The one target layer of Guided Grad-CAM.</summary>
    private static TargetLayer Layer(ExplainedModel explained, MethodSettings settings) =>
        TargetLayers.Resolve(explained, ExplanationMethods.SingleTargetLayer(settings, ExplanationMethods.GuidedGradCam) is { } name ? [name] : [], null, settings.Layout)[0];

    private static (long Height, long Width) Size(ExplainedModel explained, TargetLayer layer)
    {
        var (height, width) = explained.ImageSize;
        return height > 0 && width > 0 ? (height, width) : (layer.Height, layer.Width);
    }

    /// <summary>The raw CAM map [N, h, w] of <paramref name="weighting"/> at <paramref name="layer"/>.</summary>
    private static string RawCamMap(CompilationGraph build, CamWeighting weighting, TargetLayer layer)
    {
        weighting.CheckLayer(layer);
        var g = build.Emitter;
        var a = ChannelsFirst(g, layer.Name, layer);
        var gradient = ChannelsFirst(g, GradientModel.GradientOutput(layer.Name), layer);
        return (weighting.UsesSecondOrder
            ? weighting.EmitRawMap(g, a, gradient, ChannelsFirst(g, GradientModel.HessianVectorOutput(layer.Name), layer))
            : weighting.EmitRawMap(g, a, gradient))
            ?? throw new InvalidOperationException($"{weighting.GetType().Name} has no graph form, yet its registry entry says it compiles.");
    }

    /// <summary>The layer's values as [N, C, h, w], as <see cref="TargetLayer"/>'s channels-first copy: [N, h, w, C] transposed; tokens [N, T, C] without the prefix tokens, transposed.</summary>
    private static string ChannelsFirst(GraphEmitter g, string tensor, TargetLayer layer)
    {
        if (layer.Layout == LayerLayout.ChannelsFirst)
        {
            return tensor;
        }

        if (layer.Layout == LayerLayout.ChannelsLast)
        {
            return g.Transpose(tensor, [0, 3, 1, 2]);
        }

        var patches = g.Node("Slice", [tensor, g.Int64s(layer.PrefixTokens), g.Int64s(layer.PrefixTokens + layer.GridSize), g.Int64s(1)]);
        return g.Reshape(g.Transpose(patches, [0, 2, 1]), g.Int64s(0, layer.Channels, layer.Height, layer.Width));
    }

    private static string ShapeText(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture))) + "]";
}
