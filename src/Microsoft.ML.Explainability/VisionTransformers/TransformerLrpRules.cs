using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// Backward rules that turn the engine's gradient into transformer LRP in its gradient × input form: with these
/// rules, the relevance of any tensor x is R(x) = x ⊙ g̃(x), where g̃ is what the modified backward pass returns for x
/// (seeded with the one-hot target, so the relevance at the logits is the target logit). This is how AttnLRP
/// (Achtibat et al., "AttnLRP: Attention-Aware Layer-Wise Relevance Propagation for Transformers", ICML 2024) is
/// implemented in its LXT library, and the "conservative propagation" of Ali et al. ("XAI for Transformers: Better
/// Explanations through Conservative Propagation", ICML 2022), which Chefer et al. (CVPR 2021) motivate.
/// </summary>
/// <remarks>
/// <para>The rules (every operator not listed keeps its true gradient, which is conservative for sums, residual
/// additions, products with constants, reshapes, transposes, concatenations, slices and gathers):</para>
/// <list type="bullet">
/// <item><b>LayerNormalization</b> — Ali et al.'s LN-rule (AttnLRP's identity treatment of the normalisation): σ is
/// treated as a constant, so the backward pass is that of the linear map x̂ = (x − μ)/σ: dX = (G − mean(G))/σ with
/// G = dY·γ. Relevance passes through the affine part only; the bias β absorbs its share.</item>
/// <item><b>Softmax of attention</b> (output [N, heads, T, T] or [N, T, T] normalised over the last axis, or a tensor
/// named as attention) — Ali et al.'s AH-rule: the attention probabilities are constants of the backward pass; no
/// relevance flows into the softmax and the QKᵀ branch. Any other Softmax (a classifier's) keeps its true gradient.</item>
/// <item><b>MatMul and Gemm</b> — with one operand variable (on the relevance path) and the other constant (weights,
/// or attention probabilities, which are constant by the rule above): the ε-rule of LRP (Bach et al. 2015),
/// R_x = x ⊙ Wᵀ·(R_z / stab(z)) with stab(z) = z + ε·sign(z), sign(0) = +1, i.e. g̃_x = Wᵀ·(g̃_z · z / stab(z)).
/// z is the node's own output: Gemm's includes its bias C; for MatMul followed by a bias Add the Add absorbs b·g̃
/// (as LRP's bias does). So A·V sends all of its relevance to V. With both operands variable: AttnLRP's uniform rule
/// for a bilinear product, half of the relevance to each (g̃ = ½·true gradient for each operand).</item>
/// <item><b>Erf</b> (GELU exported as x·½(1 + erf(x/√2))) — the gate is treated as a constant, AttnLRP's identity rule
/// for element-wise activations: relevance passes to x unchanged (R_x = x·Φ(x)·g̃ = R_y). <b>Gelu</b> (opset 20): the
/// same, g̃_x = Φ(x)·g̃_y.</item>
/// </list>
/// <para>
/// Conservation: without biases the network is, with σ, the attention and the GELU gates frozen, a homogeneous linear
/// map of its input, and Σ R(input) equals the target logit up to the ε-rule's loss (each linear layer scales its
/// relevance by z/(z ± ε)). Biases (linear layers, LayerNorm β, the positional embedding, the class token) absorb
/// relevance b·g̃, so on a real model the sum differs from the logit by that amount. Decomposed LayerNorms
/// (ReduceMean/Sub/Pow/Sqrt/Div patterns of old exports) and other activations (Sigmoid, Tanh) keep true gradients
/// and are not conservative.
/// </para>
/// </remarks>
public static class TransformerLrpRules
{
    /// <summary>The default ε of the ε-rule (as Zennit and LXT).</summary>
    public const double DefaultEpsilon = 1e-6;

    /// <summary>
    /// A registry with the transformer LRP rules on top of <paramref name="rules"/> (default: true gradients).
    /// </summary>
    /// <param name="epsilon">ε of the ε-rule, ≥ 0; 0 gives LRP-0 (plain gradient × input through linear layers).</param>
    /// <param name="attentionTensors">
    /// Tensors to treat as attention probabilities besides the Softmax outputs of attention shape (for example those
    /// <see cref="AttentionDiscovery"/> found, with any Identity/Dropout/Reshape/Transpose copies of them that the A·V
    /// MatMul reads: an operand not recognised as attention makes A·V a product of two variables, split ½/½, and the
    /// half sent to the detached softmax is lost). <see cref="TransformerExplainer"/> passes the discovered tensors and
    /// their copies.
    /// </param>
    /// <param name="rules">The registry to extend.</param>
    public static GradientRuleRegistry Create(double epsilon = DefaultEpsilon, IEnumerable<string>? attentionTensors = null, GradientRuleRegistry? rules = null)
    {
        if (!(epsilon >= 0) || double.IsInfinity(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be finite and non-negative.");
        }

        rules ??= GradientRuleRegistry.Default;
        var attention = new HashSet<string>(attentionTensors ?? [], StringComparer.Ordinal);
        var softmax = rules.ForOperator("Softmax");
        return rules
            .WithOperatorRule("LayerNormalization", LayerNormalization)
            .WithOperatorRule("Softmax", c => DetachedSoftmax(c, attention, softmax))
            .WithOperatorRule("Erf", DetachedGate)
            .WithOperatorRule("Gelu", Gelu)
            .WithOperatorRule("MatMul", c => MatMul(c, epsilon, attention))
            .WithOperatorRule("Gemm", c => Gemm(c, epsilon));
    }

    /// <summary>LN-rule: dX = (G − mean(G))·σ⁻¹ with G = dY·γ and σ⁻¹ = 1/√(var(X) + ε) a constant; γ and β get nothing.</summary>
    public static void LayerNormalization(GradientContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (!c.NeedsInputGradient(0) || c.OutputGradient(0) is not { } dY)
        {
            return;
        }

        int rank = c.InputInfo(0).Rank;
        long axis = c.Int("axis", -1);
        if (axis < -rank || axis >= rank)
        {
            throw c.Unsupported($"axis {axis} is out of range for rank {rank}.");
        }

        if (axis < 0)
        {
            axis += rank;
        }

        var axes = Enumerable.Range((int)axis, rank - (int)axis).Select(a => (long)a).ToArray();
        var g = c.Graph;
        var x = c.Input(0);
        var centred = g.Sub(x, g.ReduceMean(x, axes, keepDims: true));
        var variance = g.ReduceMean(g.Mul(centred, centred), axes, keepDims: true);
        var invStd = g.Node("Reciprocal", [g.Node("Sqrt", [g.Add(variance, c.Scalar(c.Float("epsilon", 1e-5f)))])]);
        var scaled = g.Mul(dY, c.Input(1));
        c.SetInputGradient(0, g.Mul(g.Sub(scaled, g.ReduceMean(scaled, axes, keepDims: true)), invStd));
    }

    /// <summary>The GELU gate Φ(x) = ½(1 + erf(x/√2)) is a constant: nothing flows into Erf.</summary>
    public static void DetachedGate(GradientContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
    }

    /// <summary>Gelu with its gate Φ(x) constant: dX = dY·Φ(X) (Φ by erf, or by tanh for approximate = "tanh").</summary>
    public static void Gelu(GradientContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var g = c.Graph;
        var x = c.Input(0);
        string inner = c.String("approximate", "none") == "tanh"
            ? g.Node("Tanh", [g.Mul(g.Add(x, g.Mul(c.Scalar(0.044715), g.Mul(x, g.Mul(x, x)))), c.Scalar(Math.Sqrt(2 / Math.PI)))])
            : g.Node("Erf", [g.Mul(x, c.Scalar(1 / Math.Sqrt(2)))]);
        var gate = g.Mul(g.Add(c.Scalar(1), inner), c.Scalar(0.5));
        c.SetInputGradient(0, g.Mul(c.OutputGradient(0)!, gate));
    }

    private static void DetachedSoftmax(GradientContext c, HashSet<string> attention, GradientRule? fallback)
    {
        if (IsAttention(c.OutputInfo(0), c.Output(0), attention) && (c.Int("axis", -1) == -1 || c.Int("axis", -1) == c.OutputInfo(0).Rank - 1))
        {
            return;
        }

        if (fallback is null)
        {
            throw c.Unsupported("the base rule registry has no Softmax rule.");
        }

        fallback(c);
    }

    private static bool IsAttention(TensorInfo info, string name, HashSet<string> attention) =>
        attention.Contains(name) || (info.Rank >= 3 && info.Shape[^1] == info.Shape[^2] && info.Shape[^1] > 0 && info.Producer?.StartsWith("Softmax ", StringComparison.Ordinal) == true);

    private static void MatMul(GradientContext c, double epsilon, HashSet<string> attention)
    {
        var dY = c.OutputGradient(0)!;
        var g = c.Graph;
        bool variableA = c.NeedsInputGradient(0) && !IsAttention(c.InputInfo(0), c.Input(0), attention);
        bool variableB = c.NeedsInputGradient(1) && !IsAttention(c.InputInfo(1), c.Input(1), attention);
        if (!variableA && !variableB)
        {
            return;
        }

        if (c.InputInfo(0).Rank < 2 || c.InputInfo(1).Rank < 2)
        {
            throw c.Unsupported("transformer LRP supports MatMul operands of rank 2 or more.");
        }

        var s = variableA && variableB ? g.Mul(dY, c.Scalar(0.5)) : EpsilonScaled(c, dY, epsilon);
        if (variableA)
        {
            c.SetInputGradient(0, MatMulOperandGradient(c, 0, s));
        }

        if (variableB)
        {
            c.SetInputGradient(1, MatMulOperandGradient(c, 1, s));
        }
    }

    /// <summary>dA = s·Bᵀ or dB = Aᵀ·s, summed over the batch axes the operand was broadcast along.</summary>
    private static string MatMulOperandGradient(GradientContext c, int operand, string s)
    {
        var g = c.Graph;
        var other = c.Input(1 - operand);
        int otherRank = c.InputInfo(1 - operand).Rank;
        long[] swap = [.. Enumerable.Range(0, otherRank - 2).Select(i => (long)i), otherRank - 1, otherRank - 2];
        var transposed = g.Transpose(other, swap);
        var full = operand == 0 ? g.Node("MatMul", [s, transposed]) : g.Node("MatMul", [transposed, s]);
        var yShape = c.OutputInfo(0).Shape;
        var operandShape = c.InputInfo(operand).Shape;
        IReadOnlyList<long> fullShape = [.. yShape.Take(yShape.Count - 2), .. operandShape.TakeLast(2)];
        return g.ReduceToShape(full, fullShape, c.Input(operand), operandShape);
    }

    private static void Gemm(GradientContext c, double epsilon)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        bool variableA = c.NeedsInputGradient(0);
        bool variableB = c.NeedsInputGradient(1);
        if (!variableA && !variableB)
        {
            return;
        }

        float alpha = c.Float("alpha", 1f);
        bool transA = c.Int("transA", 0) != 0;
        bool transB = c.Int("transB", 0) != 0;
        var s = variableA && variableB ? g.Mul(dY, c.Scalar(0.5)) : EpsilonScaled(c, dY, epsilon);
        if (variableA)
        {
            // transA = 0: dA = α·s·B′ᵀ;  transA = 1: dA = α·B′·sᵀ.
            c.SetInputGradient(0, transA ? GemmNode(g, c.Input(1), s, transB, true, alpha) : GemmNode(g, s, c.Input(1), false, !transB, alpha));
        }

        if (variableB)
        {
            // transB = 0: dB = α·A′ᵀ·s;  transB = 1: dB = α·sᵀ·A′.
            c.SetInputGradient(1, transB ? GemmNode(g, s, c.Input(0), true, transA, alpha) : GemmNode(g, c.Input(0), s, !transA, false, alpha));
        }
    }

    /// <summary>g̃_z·z/stab(z), stab(z) = z + ε·sign(z) with sign(0) = +1 (g̃_z unchanged for ε = 0).</summary>
    private static string EpsilonScaled(GradientContext c, string dY, double epsilon)
    {
        if (epsilon == 0)
        {
            return dY;
        }

        var g = c.Graph;
        var z = c.Output(0);
        var e = c.Scalar(epsilon);
        var stabilized = g.Where(g.Node("GreaterOrEqual", [z, c.Scalar(0)]), g.Add(z, e), g.Sub(z, e));
        return g.Mul(dY, g.Div(z, stabilized));
    }

    private static string GemmNode(GraphEmitter g, string a, string b, bool transA, bool transB, float alpha) =>
        g.Node("Gemm", [a, b],
            AttributeValue.Int("transA", transA ? 1 : 0),
            AttributeValue.Int("transB", transB ? 1 : 0),
            AttributeValue.Float("alpha", alpha));
}
