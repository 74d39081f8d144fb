using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>
/// FullGrad (Srinivas &amp; Fleuret, "Full-Gradient Representation for Neural Network Visualization", NeurIPS 2019),
/// computed as pytorch-grad-cam's <c>FullGrad</c> does:
/// <list type="number">
/// <item>Input term: |x ⊙ ∂y/∂x|, each (row, input channel) map min-max normalised (m ← m − min; m ← m/(1e-7 + max)).</item>
/// <item>Bias terms: for every layer with a spatial bias — a Conv with a bias b, whose gradient is taken at its output
/// z, and a BatchNormalization, whose effective bias is b = B − μ·γ/√(σ² + ε) (the paper's and pytorch-grad-cam's
/// <c>get_bias_data</c>), gradient at its output — |bₖ·∂y/∂zₖ| per channel k, each (row, channel) map min-max
/// normalised as above and bilinearly resized to the input size with half-pixel centres (<c>cv2.resize</c>), then
/// summed over channels.</item>
/// <item>Map: the sum of all terms, min-max normalised per image (pytorch-grad-cam's <c>scale_cam_image</c>).</item>
/// </list>
/// Conventions: each Conv and each BatchNormalization is its own layer, as pytorch-grad-cam hooks <c>Conv2d</c> and
/// <c>BatchNorm2d</c> modules separately (a Conv with a bias followed by a BatchNormalization contributes two terms;
/// nothing is folded). Biases of Gemm/MatMul layers are not spatial and are left out, as both pytorch-grad-cam and the
/// authors' implementation (which aggregates only layers of the image's rank) do. Resizing is linear and maps
/// constants to themselves, so channels are summed at layer resolution and resized once, which is the same
/// arithmetic. The authors' code (idiap/fullgrad-saliency) differs in two ways: it normalises each layer over all its
/// channels at once, and upsamples with aligned corners. All gradients — at the input and at every bias layer — come
/// from one ONNX Runtime call per batch. Holds ONNX Runtime sessions: dispose it.
/// </summary>
public sealed class FullGrad : IExplainer
{
    private readonly FullGradOptions _options;
    private readonly ExplainedModel _model;
    private readonly List<(FullGradLayer Layer, float[] Bias)> _layers;
    private readonly ExplainerSessions _sessions;

    /// <summary>Prepares the explainer: measures the shapes and finds the bias layers (sessions are created on first use).</summary>
    /// <exception cref="InputMismatchException">The model does not take one image input [N, C, H, W].</exception>
    public FullGrad(OnnxModel model, FullGradOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _sessions = new ExplainerSessions(this);
        _options = options ?? new FullGradOptions();
        _options.Execution.Validate();
        _model = ExplainedModel.Create(model, _options.Output);
        if (_model.ImageSize.Height <= 0)
        {
            throw new InputMismatchException($"FullGrad needs an image input [N, C, H, W]; input '{_model.Input}' has shape {_model.InputInfo.ShapeText}.");
        }

        _layers = FindBiasLayers(_model);
        Layers = _layers.Select(l => l.Layer).ToArray();
    }

    /// <summary>The bias layers used, in graph order.</summary>
    public IReadOnlyList<FullGradLayer> Layers { get; }

    /// <summary>The output whose score is explained.</summary>
    public string Output => _model.Output;

    /// <summary>Explains each row for a class.</summary>
    /// <param name="batch">Input images [N, C, H, W], finite.</param>
    /// <param name="targets">Class per row, −1 for the predicted class; null: the predicted class for every row.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity (the exception names the row).</exception>
    /// <exception cref="NonFiniteResultException">A row's model output, gradient or map holds NaN or ±Infinity although its input is finite (the exception names the row and the stage).</exception>
    /// <exception cref="InputMismatchException">Wrong input shape, wrong target count, or a class out of range.</exception>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
    public FullGradResult Explain(FloatTensor batch, long[]? targets = null, CancellationToken cancellationToken = default)
    {
        return Run(batch, _model.CheckRequest(batch, targets), null, cancellationToken);
    }

    /// <summary>Explains each row for a caller-given seed: y = ⟨seed, output⟩ per row.</summary>
    /// <param name="batch">Input images, finite.</param>
    /// <param name="seed">A tensor of the output's shape with the batch's row count.</param>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
    public FullGradResult Explain(FloatTensor batch, FloatTensor seed, CancellationToken cancellationToken = default)
    {
        return Run(batch, null, _model.CheckRequest(batch, seed), cancellationToken);
    }

    private FullGradResult Run(FloatTensor batch, long[]? targets, FloatTensor? seed, CancellationToken cancellationToken)
    {
        var session = Session(seed is not null);
        var result = seed is null ? session.Run(batch, targets, cancellationToken) : session.Run(batch, seed, cancellationToken);
        var scores = ExplainedModel.Scores(result.Outputs[_model.Output], result.Targets, seed);
        int n = batch.BatchSize, channels = (int)batch.Shape[1], height = (int)batch.Shape[2], width = (int)batch.Shape[3], plane = height * width;
        var raw = new float[n * plane];
        var inputGradient = result.Gradients[_model.Input];
        var term = new float[plane];
        for (int r = 0; r < n; r++)
        {
            var sum = raw.AsSpan(r * plane, plane);
            var x = batch.Row(r);
            var g = inputGradient.Row(r);
            for (int c = 0; c < channels; c++)
            {
                for (int p = 0; p < plane; p++)
                {
                    term[p] = Math.Abs(x[(c * plane) + p] * g[(c * plane) + p]);
                }

                ImageOps.MinMax(term);
                Add(sum, term);
            }
        }

        var resized = new float[plane];
        foreach (var (layer, bias) in _layers)
        {
            var gradient = result.Gradients[layer.Tensor];
            int cells = layer.Height * layer.Width;
            var layerSum = new float[cells];
            var channel = new float[cells];
            for (int r = 0; r < n; r++)
            {
                Array.Clear(layerSum);
                var g = gradient.Row(r);
                for (int k = 0; k < layer.Channels; k++)
                {
                    float b = bias[k];
                    for (int p = 0; p < cells; p++)
                    {
                        channel[p] = Math.Abs(b * g[(k * cells) + p]);
                    }

                    ImageOps.MinMax(channel);
                    Add(layerSum, channel);
                }

                ImageOps.ResizeHalfPixel(layerSum, layer.Height, layer.Width, resized, height, width);
                Add(raw.AsSpan(r * plane, plane), resized);
            }
        }

        var maps = (float[])raw.Clone();
        for (int r = 0; r < n; r++)
        {
            ImageOps.MinMax(maps.AsSpan(r * plane, plane));
        }

        return new FullGradResult(new FloatTensor(maps, n, height, width), new FloatTensor(raw, n, height, width), result.Targets, scores);
    }

    /// <summary>
    /// The request whose gradients FullGrad reads: the explained output, with gradients at the input and at every bias
    /// layer's output.
    /// </summary>
    internal static GradientRequest Request(ExplainedModel model, IEnumerable<FullGradLayer> layers, SeedKind seed, GradientRuleRegistry rules) => new()
    {
        Output = model.Output,
        Seed = seed,
        WithRespectTo = [model.Input, .. layers.Select(l => l.Tensor)],
        Activations = [model.Output],
        Rules = rules,
        Shapes = model.Shapes,
    };

    /// <summary>
    /// The map of <see cref="Run"/> as ONNX nodes, for the explanation compiler: the same terms over the gradients of
    /// <see cref="Request"/> (summed in float32), [N, H, W].
    /// </summary>
    internal static string EmitMap(GraphEmitter g, ExplainedModel model, IEnumerable<(FullGradLayer Layer, float[] Bias)> layers)
    {
        var (height, width) = model.ImageSize;
        var input = g.Node("Abs", [g.Mul(model.Input, GradientModel.GradientOutput(model.Input))]);
        var terms = new List<string> { g.ReduceSum(CamMaps.EmitMinMax(g, input, [2, 3]), [1], keepDims: true) };
        foreach (var (layer, bias) in layers)
        {
            var b = g.Constant(TensorElementType.Float, [1, layer.Channels, 1, 1], bias.Select(v => (double)v).ToArray());
            var channels = CamMaps.EmitMinMax(g, g.Node("Abs", [g.Mul(b, GradientModel.GradientOutput(layer.Tensor))]), [2, 3]);
            terms.Add(CamMaps.EmitResize(g, g.ReduceSum(channels, [1], keepDims: true), height, width));
        }

        return CamMaps.EmitMinMax(g, g.Squeeze(g.Sum(terms), [1]), [1, 2]);
    }

    private static void Add(Span<float> sum, ReadOnlySpan<float> term)
    {
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] += term[i];
        }
    }

    /// <summary>
    /// Conv nodes with a constant bias and BatchNormalization nodes with constant parameters whose output is a
    /// batched [N, C, h, w] map on a path to the explained output.
    /// </summary>
    internal static List<(FullGradLayer Layer, float[] Bias)> FindBiasLayers(ExplainedModel model)
    {
        var prepared = model.Prepared;
        var graph = prepared.Graph;
        var index = prepared.Index();
        var shapes = model.Shapes;
        var ancestors = Ancestors(index, graph, model.Output);
        var result = new List<(FullGradLayer, float[])>();
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            if (node.Output.Count == 0 || node.Output[0].Length == 0 || !ancestors.Contains(node.Output[0]) || !shapes.Contains(node.Output[0]))
            {
                continue;
            }

            var info = shapes[node.Output[0]];
            if (info.Shape is not [< 0, > 0, > 0, > 0] || !info.IsFloatingPoint)
            {
                continue;
            }

            int channels = (int)info.Shape[1];
            double[]? bias = node.OpType switch
            {
                "Conv" when node.Input.Count > 2 && node.Input[2].Length > 0 => Constant(index, graph, node.Input[2]),
                "BatchNormalization" => BatchNormBias(index, graph, node),
                _ => null,
            };
            if (bias is null || bias.Length != channels)
            {
                continue;
            }

            var layer = new FullGradLayer(info.Name, $"{node.OpType} '{index.NodeName(i)}'", channels, (int)info.Shape[2], (int)info.Shape[3]);
            result.Add((layer, bias.Select(v => (float)v).ToArray()));
        }

        return result;
    }

    /// <summary>The BatchNormalization's effective bias B − μ·γ/√(σ² + ε) (inference mode), when its parameters are constants.</summary>
    private static double[]? BatchNormBias(GraphIndex index, GraphProto graph, NodeProto node)
    {
        if (node.Input.Count < 5)
        {
            return null;
        }

        var scale = Constant(index, graph, node.Input[1]);
        var b = Constant(index, graph, node.Input[2]);
        var mean = Constant(index, graph, node.Input[3]);
        var variance = Constant(index, graph, node.Input[4]);
        if (scale is null || b is null || mean is null || variance is null)
        {
            return null;
        }

        double epsilon = node.GetFloat("epsilon", 1e-5f);
        return Enumerable.Range(0, b.Length).Select(k => b[k] - (mean[k] * scale[k] / Math.Sqrt(variance[k] + epsilon))).ToArray();
    }

    /// <summary>The values of an initializer or a Constant node's output; null otherwise.</summary>
    private static double[]? Constant(GraphIndex index, GraphProto graph, string name)
    {
        if (index.Initializer(name) is { } initializer)
        {
            return TensorProtos.ToDoubles(initializer);
        }

        if (index.ProducerOf(name) is { } producer && graph.Node[producer.NodeIndex] is { OpType: "Constant" } constant && constant.Attribute("value") is { T: { } tensor })
        {
            return TensorProtos.ToDoubles(tensor);
        }

        return null;
    }

    private static HashSet<string> Ancestors(GraphIndex index, GraphProto graph, string output)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { output };
        var stack = new Stack<string>([output]);
        while (stack.Count > 0)
        {
            if (index.ProducerOf(stack.Pop()) is not { } producer)
            {
                continue;
            }

            foreach (var input in graph.Node[producer.NodeIndex].Input)
            {
                if (input.Length > 0 && seen.Add(input))
                {
                    stack.Push(input);
                }
            }
        }

        return seen;
    }

    private GradientSession Session(bool givenSeed) =>
        _sessions.Get(givenSeed ? "seed" : "class", () =>
        {
            var model = GradientModel.Build(_model.Original, Request(_model, Layers, givenSeed ? SeedKind.Given : SeedKind.OneHotTarget, _options.Rules));
            return new GradientSession(model, _options.Execution);
        });

    /// <inheritdoc/>
    public ExplanationMethod Method => ExplanationMethods.FullGrad;

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = request.Seed is null ? Explain(request.Batch, request.Targets, request.Cancellation) : Explain(request.Batch, request.Seed, request.Cancellation);
        return new Explanation(Method, result.Maps, result.Targets, result.TargetScores, $"{Layers.Count} bias layers", result.RawMaps);
    }

    /// <inheritdoc/>
    public void Dispose() => _sessions.Dispose();
}
