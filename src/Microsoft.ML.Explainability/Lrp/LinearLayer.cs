using System.Runtime.CompilerServices;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Autodiff.Rules;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// One linear layer z = F(x; W, b) (Conv, ConvTranspose, Gemm, or MatMul with a constant right operand) seen by a
/// linear LRP rule: its constant weights and bias read from the graph, the forward F with modified parameters and
/// inputs (re-emitted with the node's own attributes), and the transposed product Fᵀ(s; W′) = (∂F(x; W′)/∂x)ᵀ·s.
/// Modified parameters are computed here in float64 and added to the graph as new initializers.
/// </summary>
internal sealed class LinearLayer
{
    private readonly ConditionalWeakTable<double[], string> _constants = [];
    private string? _positive;
    private string? _negative;

    private LinearLayer(GradientContext c, double[] weights, IReadOnlyList<long> weightShape, double[]? bias, IReadOnlyList<long>? biasShape, bool nonNegative)
    {
        Context = c;
        Weights = weights;
        WeightShape = weightShape;
        Bias = bias;
        BiasShape = biasShape;
        InputIsNonNegative = nonNegative;
    }

    public GradientContext Context { get; }

    public GraphEmitter Graph => Context.Graph;

    /// <summary>The layer's input x.</summary>
    public string Input => Context.Input(0);

    /// <summary>The layer's unmodified output F(x; W, b).</summary>
    public string Output => Context.Output(0);

    /// <summary>W as stored (Conv [M, C/g, k…], ConvTranspose [C, M/g, k…], Gemm's B, MatMul's [K, M]).</summary>
    public double[] Weights { get; }

    public IReadOnlyList<long> WeightShape { get; }

    /// <summary>The bias (Conv's B, Gemm's C), or null.</summary>
    public double[]? Bias { get; }

    public IReadOnlyList<long>? BiasShape { get; }

    /// <summary>Whether x is known to be ≥ 0 (its x⁻ terms vanish).</summary>
    public bool InputIsNonNegative { get; }

    /// <summary>Reads the layer of node <paramref name="c"/>, or throws naming the node when it is not a linear layer with constant parameters.</summary>
    public static LinearLayer Of(GradientContext c, string rule, LrpGraphFacts facts)
    {
        const int weightInput = 1;
        for (int i = 1; i < c.InputCount; i++)
        {
            if (c.NeedsInputGradient(i))
            {
                throw Fail(c, rule, $"input {i} ('{c.Input(i)}') depends on the network input; LRP needs constant weights and biases (initializers or Constant nodes).");
            }
        }

        if (!c.NeedsInputGradient(0))
        {
            throw Fail(c, rule, "relevance can only flow into the layer's first input.");
        }

        var weights = c.ConstantInput(weightInput)
            ?? throw Fail(c, rule, $"its weights (input {weightInput}, '{c.Input(weightInput)}') are not a constant; LRP needs constant weights (initializers or Constant nodes).");
        var weightShape = c.InputInfo(weightInput).Shape;
        if (c.OpType == "MatMul" && weightShape.Count != 2)
        {
            throw Fail(c, rule, $"LRP supports MatMul with a constant 2-D right operand; '{c.Input(1)}' has shape {c.InputInfo(1).ShapeText}.");
        }

        if (c.OpType == "ConvTranspose" && (c.HasAttribute("output_shape") || c.String("auto_pad", "NOTSET") is not ("NOTSET" or "VALID")))
        {
            throw Fail(c, rule, "ConvTranspose with output_shape or SAME auto_pad is not supported; give explicit pads.");
        }

        double[]? bias = null;
        IReadOnlyList<long>? biasShape = null;
        if (c.OpType is "Conv" or "ConvTranspose" or "Gemm" && c.HasInput(2))
        {
            bias = c.ConstantInput(2) ?? throw Fail(c, rule, $"its bias (input 2, '{c.Input(2)}') is not a constant.");
            biasShape = c.InputInfo(2).Shape;
        }

        return new LinearLayer(c, weights, weightShape, bias, biasShape, facts.IsNonNegative(c.Input(0)));
    }

    private static LrpRuleException Fail(GradientContext c, string rule, string why) =>
        new(rule, c.OpType, c.NodeName, $"LRP rule {rule} cannot be applied to {c.Describe()}: {why}");

    /// <summary>x⁺ = max(x, 0).</summary>
    public string PositiveInput => _positive ??= InputIsNonNegative ? Input : Graph.Node("Relu", [Input]);

    /// <summary>x⁻ = min(x, 0) = x − x⁺.</summary>
    public string NegativeInput => _negative ??= Graph.Sub(Input, PositiveInput);

    /// <summary>Applies <paramref name="f"/> to every weight.</summary>
    public double[] MapWeights(Func<double, double> f) => Weights.Select(f).ToArray();

    /// <summary>Applies <paramref name="f"/> to every bias element; null when there is no bias or the result is all zeros.</summary>
    public double[]? MapBias(Func<double, double> f)
    {
        if (Bias is null)
        {
            return null;
        }

        var mapped = Bias.Select(f).ToArray();
        return mapped.All(v => v == 0) ? null : mapped;
    }

    /// <summary>F(input; w, b) with the node's attributes; <paramref name="bias"/> null means no bias.</summary>
    public string Forward(string input, double[] weights, double[]? bias)
    {
        var c = Context;
        var w = Constant(weights, WeightShape);
        switch (c.OpType)
        {
            case "Conv":
            case "ConvTranspose":
            case "Gemm":
                IEnumerable<string> inputs = bias is null ? [input, w] : [input, w, Constant(bias, BiasShape!)];
                return Graph.Node(c.OpType, inputs, [.. c.Attributes]);
            default:
                return Graph.Node("MatMul", [input, w]);
        }
    }

    /// <summary>Fᵀ(s; w) = (∂F(x; w)/∂x)ᵀ·s, shaped like x.</summary>
    public string Transposed(string s, double[] weights)
    {
        var c = Context;
        switch (c.OpType)
        {
            case "Conv":
                return ConvolutionRules.TransposedConvolution(c, s, Constant(weights, WeightShape), c.InputInfo(0).Shape, c.OutputInfo(0).Shape);
            case "ConvTranspose":
            {
                // The input gradient of a transposed convolution is the convolution with the same weights and geometry.
                var attributes = c.Attributes.Where(a => a.Proto.Name is "strides" or "dilations" or "pads" or "group" or "kernel_shape").ToArray();
                return Graph.Node("Conv", [s, Constant(weights, WeightShape)], attributes);
            }

            case "Gemm":
            {
                float alpha = c.Float("alpha", 1f);
                bool transA = c.Int("transA", 0) != 0;
                bool transB = c.Int("transB", 0) != 0;
                var w = Constant(weights, WeightShape);

                // transA = 0: dA = α·s·B′ᵀ;  transA = 1: dA = α·B′·sᵀ.
                return transA
                    ? Graph.Node("Gemm", [w, s], AttributeValue.Int("transA", transB ? 1 : 0), AttributeValue.Int("transB", 1), AttributeValue.Float("alpha", alpha))
                    : Graph.Node("Gemm", [s, w], AttributeValue.Int("transA", 0), AttributeValue.Int("transB", transB ? 0 : 1), AttributeValue.Float("alpha", alpha));
            }

            default:
            {
                // MatMul with W [K, M]: dx = s·Wᵀ, Wᵀ computed here.
                long k = WeightShape[0], m = WeightShape[1];
                var transposed = new double[weights.Length];
                for (long i = 0; i < k; i++)
                {
                    for (long j = 0; j < m; j++)
                    {
                        transposed[(j * k) + i] = weights[(i * m) + j];
                    }
                }

                return Graph.Node("MatMul", [s, Constant(transposed, [m, k])]);
            }
        }
    }

    /// <summary>
    /// A constant shaped like one row of x, [1, d₁, d₂, …], filled from <paramref name="values"/>: one value for
    /// every element, or one per channel (axis 1). Used for z^B's bounds and the flat and w² rules' all-ones input.
    /// </summary>
    public string InputLikeConstant(IReadOnlyList<double> values, string rule)
    {
        var shape = Context.InputInfo(0).Shape;
        if (shape.Skip(1).Any(d => d < 0))
        {
            throw Fail(Context, rule, $"the input {Context.InputInfo(0).ShapeText} has batch-dependent non-batch dimensions.");
        }

        long channels = shape.Count > 1 ? shape[1] : 1;
        if (values.Count != 1 && values.Count != channels)
        {
            throw Fail(Context, rule, $"{values.Count} bound values were given for an input with {channels} channels (axis 1); give one value or one per channel.");
        }

        long inner = shape.Skip(2).Aggregate(1L, (a, d) => a * d);
        var data = new double[checked((int)(channels * inner))];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = values.Count == 1 ? values[0] : values[(int)(i / inner)];
        }

        return Graph.Constant(Context.ElementType, [1, .. shape.Skip(1)], data);
    }

    /// <summary>stab(z) = z + ε·sign(z) with sign(0) = +1.</summary>
    public string Stabilize(string z, double epsilon) => Stabilizer.Apply(Context, z, epsilon);

    /// <summary>R / stab(z).</summary>
    public string Ratio(string relevance, string z, double epsilon) => Graph.Div(relevance, Stabilize(z, epsilon));

    /// <summary>R / stab(z) for a z known to be ≥ 0 (z⁺ and z_α sums of non-negative terms): R / (z + ε).</summary>
    public string RatioNonNegative(string relevance, string z, double epsilon) => Graph.Div(relevance, Stabilizer.ApplyNonNegative(Context, z, epsilon));

    private string Constant(double[] values, IReadOnlyList<long> shape)
    {
        if (!_constants.TryGetValue(values, out var name))
        {
            name = Graph.Constant(Context.ElementType, shape, values);
            _constants.Add(values, name);
        }

        return name;
    }
}
