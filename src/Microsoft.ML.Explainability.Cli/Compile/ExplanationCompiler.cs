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

/// <summary>
/// Compiles an explanation method into a standalone ONNX model: the original outputs, plus <c>saliency</c> (float) and
/// <c>explained_class</c> (int64 [N]), with an optional int64 input <c>targets</c> (one class per row, −1 for the
/// predicted class; when not fed, its default [−1] explains the predicted class of every row). The backward graph comes
/// from <see cref="GradientModel"/>; the CAM arithmetic and post-processing are appended as standard ONNX nodes, so
/// the model runs in any ONNX runtime without this library.
/// </summary>
/// <remarks>
/// The saliency output per method:
/// <list type="bullet">
/// <item>CAM methods (grad-cam, hires-cam, grad-cam-plus-plus, xgrad-cam, layer-cam, grad-cam-element-wise): N×H×W at the
/// input's resolution in [0, 1), post-processed as the library's <c>CamMaps.PostProcess</c> (ReLU, per-row min-max with
/// 1e-7, bilinear Resize with half-pixel centres, ReLU, min-max again).</item>
/// <item>saliency: max over channels of |∂y/∂x|, N×H×W (per channel, N×C×H×W, with <see cref="CompileOptions.PerChannel"/>).</item>
/// <item>gradient, input-x-gradient, guided-backprop, deconvnet, lrp: N×C×H×W, as the input.</item>
/// </list>
/// Eigen-CAM needs an SVD, and Score-CAM and Ablation-CAM need a forward pass per channel: they are not compiled.
/// </remarks>
internal static class ExplanationCompiler
{
    public const string SaliencyOutput = "saliency";
    public const string TargetsInput = "targets";
    public const string ClassOutput = "explained_class";

    /// <summary>The CAM weightings that are closed-form in the activations and gradients, so they compile to ONNX nodes.</summary>
    private static readonly Explainers.ExplanationMethod[] CompilableCams =
        [ExplanationMethods.GradCam, ExplanationMethods.HiResCam, ExplanationMethods.GradCamPlusPlus, ExplanationMethods.XGradCam, ExplanationMethods.LayerCam, ExplanationMethods.GradCamElementWise];

    private static readonly Dictionary<string, Explainers.ExplanationMethod> CamMethods =
        Methods.CamMethods.Where(kv => CompilableCams.Contains(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    private static readonly string[] InputMethods = ["saliency", "gradient", "input-x-gradient", "guided-backprop", "deconvnet", "lrp"];

    /// <summary>The method names <c>compile</c> accepts.</summary>
    public static IReadOnlyList<string> Compilable { get; } = [.. CamMethods.Keys, .. InputMethods];

    public static CompiledExplanation Compile(OnnxModel model, string method, CompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (!Compilable.Contains(method))
        {
            var known = Methods.Find(method);
            throw new CliException(ExitCodes.NotAvailable, $"Method '{known.Name}' cannot be compiled to ONNX ({Reason(known.Name)}). Compilable methods: {string.Join(", ", Compilable)}.");
        }

        var prepared = GradientModel.Prepare(model);
        var shapes = ShapeProbe.Run(prepared);
        if (prepared.InputNames.Count != 1)
        {
            throw new CliException(ExitCodes.ModelError, $"The model has {prepared.InputNames.Count} inputs; compile takes models with one image input.");
        }

        string input = prepared.InputNames[0];
        string output = prepared.OutputNames.FirstOrDefault(o => shapes.Contains(o) && shapes[o].IsFloatingPoint && shapes[o].Rank == 2)
            ?? throw new CliException(ExitCodes.ModelError, "The model has no [N, classes] float output to explain.");
        var inputShape = shapes[input].Shape;

        GradientModel gradients;
        string detail;
        TargetLayer? layer = null;
        if (CamMethods.ContainsKey(method))
        {
            layer = options.Layer is null ? TargetLayers.Automatic(model, null, options.Layout) : TargetLayers.Resolve(model, options.Layer, null, options.Layout);
            gradients = GradientModel.Build(prepared, new GradientRequest { Output = output, WithRespectTo = [layer.Name], Activations = [layer.Name], Shapes = shapes });
            detail = $"target layer {layer}";
        }
        else if (method == "lrp")
        {
            var composite = Methods.Composite(options.Lrp, FloatTensor.Zeros(1));
            if (composite.Name == nameof(LrpComposite.EpsilonGammaBox) && (options.Lrp.Low is null || options.Lrp.High is null))
            {
                throw new CliException(ExitCodes.Usage, "Compiling epsilon-gamma-box needs its input bounds: give --low and --high.");
            }

            // The same graph as LrpExplainer: the composite's canonizers, unique node names, the seed node (one-hot or logit).
            var (working, rules, _) = LrpExplainer.Working(prepared, output, composite, options.LrpSeed);
            gradients = GradientModel.Build(working, new GradientRequest { Output = LrpExplainer.SeedTensor, WithRespectTo = [input], Rules = rules });
            detail = $"composite {composite.Name}, seed {options.LrpSeed}";
        }
        else
        {
            var rules = method switch
            {
                "guided-backprop" => ModifiedReluRules.WithGuidedBackprop(),
                "deconvnet" => ModifiedReluRules.WithDeconvnet(),
                _ => GradientRuleRegistry.Default,
            };
            gradients = GradientModel.Build(prepared, new GradientRequest { Output = output, WithRespectTo = [input], Shapes = shapes, Rules = rules });
            detail = method == "saliency" ? (options.PerChannel ? "|gradient| per channel" : "max over channels of |gradient|") : "";
        }

        var proto = ModelProto.Parser.ParseFrom(gradients.Model.ToBytes());
        var graph = proto.Graph;
        int opset = (int)proto.OpsetImport.First(o => o.Domain is "" or "ai.onnx").Version;
        var g = new GraphEmitter(graph, opset, "xai.compile");
        string saliency;
        string shapeText;
        string Dim(long d) => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture);
        if (layer is not null)
        {
            var a = ChannelsFirst(g, layer.Name, layer);
            var grad = ChannelsFirst(g, GradientModel.GradientOutput(layer.Name), layer);
            var raw = RawCam(g, CamMethods[method], a, grad);
            var (height, width) = inputShape is [_, _, var h, var w] && h > 0 && w > 0 ? (h, w) : (layer.Height, layer.Width);
            saliency = PostProcess(g, raw, height, width);
            shapeText = $"[N, {height}, {width}]";
        }
        else
        {
            var grad = GradientModel.GradientOutput(input);
            saliency = method switch
            {
                "saliency" when options.PerChannel => g.Node("Abs", [grad]),
                "saliency" => g.ReduceMax(g.Node("Abs", [grad]), [1], keepDims: false),
                "input-x-gradient" => g.Mul(input, grad),
                _ => grad,
            };
            var dims = method == "saliency" && !options.PerChannel ? inputShape.Where((_, i) => i != 1) : inputShape;
            shapeText = "[" + string.Join(", ", dims.Select(Dim)) + "]";
        }

        g.Alias(saliency, SaliencyOutput);
        g.Alias(GradientModel.ResolvedTargetsOutput, ClassOutput);
        var original = prepared.OutputNames.ToHashSet(StringComparer.Ordinal);
        var kept = graph.Output.Where(o => original.Contains(o.Name)).ToArray();
        graph.Output.Clear();
        graph.Output.AddRange(kept);
        graph.Output.Add(new ValueInfoProto { Name = SaliencyOutput, Type = FloatType() });
        graph.Output.Add(new ValueInfoProto { Name = ClassOutput, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Int64 } } });
        RenameTargets(graph, optional: !options.RequiredTargets);
        proto.DocString = $"Compiled by onnx-xai: {method} ({detail}). Inputs: '{input}', {(options.RequiredTargets ? "int64" : "optional int64")} '{TargetsInput}' [N] (class per row, -1 = predicted{(options.RequiredTargets ? "" : "; default: predicted")}). Outputs: the model's outputs, '{SaliencyOutput}' {shapeText}, '{ClassOutput}' [N].";
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "onnx-xai.method", Value = method });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "onnx-xai.saliency.shape", Value = shapeText });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "onnx-xai.detail", Value = detail });
        return new CompiledExplanation(OnnxModel.Load(Google.Protobuf.MessageExtensions.ToByteArray(proto)), method, shapeText, detail);
    }

    private static string Reason(string method) => method switch
    {
        "eigen-cam" or "eigen-grad-cam" => "it needs a singular value decomposition, which has no standard ONNX operator",
        "score-cam" or "ablation-cam" => "it needs one forward pass of the model per channel",
        "integrated-gradients" or "smooth-grad" => "it averages gradients over many model evaluations; compile 'gradient' and average outside",
        "guided-grad-cam" => "compile 'grad-cam' and 'guided-backprop' and multiply them",
        _ => "it is not compiled by this version",
    };

    /// <summary>The layer's values as [N, C, h, w]: channels-first maps as they are; channels-last maps transposed; tokens [N, T, C] sliced, transposed and reshaped.</summary>
    private static string ChannelsFirst(GraphEmitter g, string tensor, TargetLayer layer)
    {
        if (layer.Layout == LayerLayout.ChannelsFirst)
        {
            return tensor;
        }

        if (layer.Layout == LayerLayout.ChannelsLast)
        {
            return g.Node("Transpose", [tensor], AttributeValue.Ints("perm", [0, 3, 1, 2]));
        }

        var patches = g.Node("Slice", [tensor, g.Int64s(layer.PrefixTokens), g.Int64s(layer.PrefixTokens + layer.GridSize), g.Int64s(1)]);
        var transposed = g.Node("Transpose", [patches], AttributeValue.Ints("perm", [0, 2, 1]));
        return g.Node("Reshape", [transposed, g.Int64s(0, layer.Channels, layer.Height, layer.Width)]);
    }

    /// <summary>The raw map [N, h, w] of a CAM method from A and G [N, C, h, w] (formulas of <see cref="Explainers.ExplanationMethod"/>).</summary>
    private static string RawCam(GraphEmitter g, Explainers.ExplanationMethod method, string a, string grad)
    {
        switch (method.Name)
        {
            case "grad-cam":
                return g.ReduceSum(g.Mul(g.ReduceMean(grad, [2, 3], keepDims: true), a), [1], keepDims: false);
            case "hires-cam":
                return g.ReduceSum(g.Mul(grad, a), [1], keepDims: false);
            case "grad-cam-element-wise":
                return g.ReduceSum(Relu(g, g.Mul(grad, a)), [1], keepDims: false);
            case "layer-cam":
                return g.ReduceSum(g.Mul(Relu(g, grad), a), [1], keepDims: false);
            case "xgrad-cam":
            {
                var numerator = g.ReduceSum(g.Mul(a, grad), [2, 3], keepDims: true);
                var denominator = g.Add(g.ReduceSum(a, [2, 3], keepDims: true), g.Scalar(1e-7));
                return g.ReduceSum(g.Mul(g.Div(numerator, denominator), a), [1], keepDims: false);
            }

            case "grad-cam-plus-plus":
            {
                // α = G² / (2G² + ΣA·G³ + 1e-6) (denominator 0 → 1), α = 0 where G = 0; w = Σ ReLU(G)·α.
                var g2 = g.Mul(grad, grad);
                var g3 = g.Mul(g2, grad);
                var sumA = g.ReduceSum(a, [2, 3], keepDims: true);
                var denominator = g.Add(g.Add(g.Mul(g.Scalar(2), g2), g.Mul(sumA, g3)), g.Scalar(1e-6));
                var zero = g.Scalar(0);
                var safe = g.Node("Where", [g.Node("Equal", [denominator, zero]), g.Scalar(1), denominator]);
                var alpha = g.Node("Where", [g.Node("Equal", [grad, zero]), zero, g.Div(g2, safe)]);
                var weights = g.ReduceSum(g.Mul(Relu(g, grad), alpha), [2, 3], keepDims: true);
                return g.ReduceSum(g.Mul(weights, a), [1], keepDims: false);
            }

            default:
                throw new CliException(ExitCodes.NotAvailable, $"{method} cannot be compiled.");
        }
    }

    /// <summary>ReLU, min-max, bilinear resize (half-pixel) to H×W, ReLU, min-max: [N, h, w] → [N, H, W].</summary>
    private static string PostProcess(GraphEmitter g, string raw, long height, long width)
    {
        var normalised = MinMax(g, Relu(g, raw), [1, 2]);
        var four = g.Unsqueeze(normalised, [1]);
        var batchAndChannel = g.Node("Slice", [g.Node("Shape", [four]), g.Int64s(0), g.Int64s(2), g.Int64s(0)]);
        var sizes = g.Node("Concat", [batchAndChannel, g.Int64s(height, width)], AttributeValue.Int("axis", 0));
        var resized = g.Node("Resize", [four, "", "", sizes], AttributeValue.String("mode", "linear"), AttributeValue.String("coordinate_transformation_mode", "half_pixel"));
        var result = MinMax(g, Relu(g, resized), [2, 3]);
        return g.Squeeze(result, [1]);
    }

    /// <summary>m ← m − min(m); m ← m / (1e-7 + max(m)) over <paramref name="axes"/>.</summary>
    private static string MinMax(GraphEmitter g, string x, long[] axes)
    {
        var shifted = g.Sub(x, g.ReduceMin(x, axes, keepDims: true));
        return g.Div(shifted, g.Add(g.ReduceMax(shifted, axes, keepDims: true), g.Scalar(1e-7)));
    }

    /// <summary>
    /// Renames the engine's targets input to <see cref="TargetsInput"/>; when <paramref name="optional"/>, gives it the
    /// default [−1] (an initializer with the input's name, which ONNX Runtime lets callers override).
    /// </summary>
    private static void RenameTargets(GraphProto graph, bool optional)
    {
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == GradientModel.TargetsInput)
                {
                    node.Input[i] = TargetsInput;
                }
            }
        }

        var info = graph.Input.First(i => i.Name == GradientModel.TargetsInput);
        info.Name = TargetsInput;
        if (optional)
        {
            info.Type.TensorType.Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "targets_count" } } };
            graph.Initializer.Add(new TensorProto { Name = TargetsInput, DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { -1 } });
        }
    }

    private static TypeProto FloatType() => new() { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } };

    private static string Relu(GraphEmitter g, string x) => g.Node("Relu", [x]);
}
