using System.Collections.Immutable;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Lrp.Canonizers;
using Microsoft.ML.Explainability.Lrp.Rules;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Lrp.Composites;

/// <summary>
/// Maps the nodes of a graph to LRP rules, as Zennit's composites do. For each node the rule is, in this order: the
/// rule given for its name (<see cref="WithNodeRule"/>); for a MatMul whose right operand is not a constant (a product
/// of two run-time tensors, as in attention) the product rule (<see cref="ProductRule"/>); the first-layer rule
/// (<see cref="FirstLayerRule"/>) when the node is a first layer, i.e. a Conv/ConvTranspose/Gemm/MatMul reached from
/// the input without crossing another such layer; the rule given for its operator type (<see cref="WithOperatorRule"/>); the convolution rule
/// (Conv, ConvTranspose) or dense rule (Gemm, MatMul); else the default every composite shares, from the one table
/// <see cref="LrpOperatorTable"/> (activations and normalisations Pass, sums and mean pooling Norm, Mul Gate, value
/// movement and MaxPool the true gradient; see <see cref="LrpOperatorKind"/> for each choice and its source).
/// Policy for any other operator on the relevance path (Softmax, Exp, Pow, custom domains, …): an
/// <see cref="LrpRuleException"/> naming the node, the operator and the composite is thrown when the explanation graph is
/// built; give it a rule with <see cref="WithOperatorRule"/> or <see cref="WithNodeRule"/> (<see cref="LrpRules.Gradient"/> keeps its
/// true gradient). Composites are immutable: every <c>With…</c> method returns a new one.
/// <para>At the output: the seed (<see cref="LrpSeed"/>) is put on the explained output. A final Gemm/MatMul with bias
/// gets the dense rule: with ε its bias absorbs R·(b + ε·sign z)/stab(z) of the seed, so Σ R_input = R_out·(z − b)/stab(z)
/// at that layer (the logit minus the bias's share with <see cref="LrpSeed.Logit"/>; about 1 − b/z with the one-hot
/// seed); z⁺ and αβ absorb the positive (negative) part of the bias likewise. A model that ends in Softmax has the
/// Softmax on the relevance path, which has no default rule: the explainer refuses it with an
/// <see cref="LrpRuleException"/> naming the node; explain the logits instead (<see cref="LrpOptions.Output"/> = the
/// Softmax's input, as Zennit explains the pre-softmax output), or give Softmax <see cref="LrpRules.Gradient"/>.</para>
/// </summary>
public sealed class LrpComposite
{
    private static readonly ImmutableDictionary<string, LrpRule> Defaults = BuildDefaults();

    private readonly ImmutableDictionary<string, LrpRule> _byOperator;
    private readonly ImmutableDictionary<string, LrpRule> _byNode;

    private LrpComposite(string name, LrpRule? convolution, LrpRule? dense, LrpRule? firstLayer, LrpRule? product, ImmutableDictionary<string, LrpRule> byOperator, ImmutableDictionary<string, LrpRule> byNode, ImmutableArray<LrpCanonizer> canonizers)
    {
        Name = name;
        Canonizers = canonizers;
        ConvolutionRule = convolution;
        DenseRule = dense;
        FirstLayerRule = firstLayer;
        ProductRule = product;
        _byOperator = byOperator;
        _byNode = byNode;
    }

    /// <summary>The composite's name, for messages.</summary>
    public string Name { get; }

    /// <summary>The rule of Conv and ConvTranspose nodes, or null (such nodes then need an operator or node rule).</summary>
    public LrpRule? ConvolutionRule { get; }

    /// <summary>The rule of Gemm and MatMul nodes, or null.</summary>
    public LrpRule? DenseRule { get; }

    /// <summary>The rule of the first linear layers, or null to use the convolution/dense rule there too.</summary>
    public LrpRule? FirstLayerRule { get; }

    /// <summary>
    /// The rule of MatMul nodes whose right operand is not a constant (products of two run-time tensors: attention's
    /// query–key and attention–value products), or null (such nodes are then refused). Default
    /// <see cref="LrpRules.AttentionHead"/> (attention probabilities constant, other products split uniformly).
    /// </summary>
    public LrpRule? ProductRule { get; }

    /// <summary>
    /// The canonizers applied, in order, to a copy of the model before the rules are assigned (Zennit's composites take
    /// such a list). The built-in composites start with <see cref="LrpCanonizers.Default"/>; replace them with
    /// <see cref="WithCanonizers"/> (an empty list: none).
    /// </summary>
    public IReadOnlyList<LrpCanonizer> Canonizers { get; }

    /// <summary>Rules given per operator type.</summary>
    public IReadOnlyDictionary<string, LrpRule> OperatorRules => _byOperator;

    /// <summary>Rules given per node name.</summary>
    public IReadOnlyDictionary<string, LrpRule> NodeRules => _byNode;

    /// <summary>Zennit's EpsilonPlus: convolutions z⁺, dense layers ε.</summary>
    /// <param name="epsilon">ε of the dense layers (default <see cref="LrpRules.DefaultEpsilon"/>).</param>
    public static LrpComposite EpsilonPlus(double epsilon = LrpRules.DefaultEpsilon) =>
        Create(nameof(EpsilonPlus), LrpRules.ZPlus, LrpRules.Epsilon(epsilon));

    /// <summary>Zennit's EpsilonAlpha2Beta1: convolutions α2β1, dense layers ε.</summary>
    /// <param name="epsilon">ε of the dense layers (default <see cref="LrpRules.DefaultEpsilon"/>).</param>
    public static LrpComposite EpsilonAlpha2Beta1(double epsilon = LrpRules.DefaultEpsilon) =>
        Create(nameof(EpsilonAlpha2Beta1), LrpRules.AlphaBeta(2, 1), LrpRules.Epsilon(epsilon));

    /// <summary>Zennit's EpsilonGammaBox: first layer z^B with bounds l, h; convolutions γ; dense layers ε.</summary>
    /// <param name="low">The lowest input value l the model receives (after its normalisation): one value or one per channel.</param>
    /// <param name="high">The highest input value h: one value or one per channel.</param>
    /// <param name="epsilon">ε of the dense layers (default <see cref="LrpRules.DefaultEpsilon"/>).</param>
    /// <param name="gamma">γ of the convolutions (default 0.25).</param>
    public static LrpComposite EpsilonGammaBox(IReadOnlyList<double> low, IReadOnlyList<double> high, double epsilon = LrpRules.DefaultEpsilon, double gamma = 0.25) =>
        Create(nameof(EpsilonGammaBox), LrpRules.Gamma(gamma), LrpRules.Epsilon(epsilon), LrpRules.ZBox(low, high));

    /// <summary>Zennit's EpsilonPlusFlat: first layer flat, convolutions z⁺, dense layers ε.</summary>
    /// <param name="epsilon">ε of the dense layers (default <see cref="LrpRules.DefaultEpsilon"/>).</param>
    public static LrpComposite EpsilonPlusFlat(double epsilon = LrpRules.DefaultEpsilon) =>
        Create(nameof(EpsilonPlusFlat), LrpRules.ZPlus, LrpRules.Epsilon(epsilon), LrpRules.Flat);

    /// <summary>LRP-ε on every linear layer (ε → 0 is LRP-0, which equals input × gradient on ReLU networks).</summary>
    /// <param name="epsilon">ε of every linear layer.</param>
    public static LrpComposite Epsilon(double epsilon = LrpRules.DefaultEpsilon) =>
        Create(nameof(Epsilon), LrpRules.Epsilon(epsilon), LrpRules.Epsilon(epsilon));

    /// <summary>
    /// LRP for vision transformers in the conservative-propagation form (Ali et al. 2022, "XAI for Transformers: Better
    /// Explanations through Conservative Propagation"), in this library's conventions: every linear layer (the
    /// patch-embedding Conv, Gemm, MatMul with weights) the ε-rule; LayerNormalization the LN-rule
    /// (<see cref="LrpRules.LayerNorm"/>: σ constant); the attention–value product the AH-rule
    /// (<see cref="LrpRules.AttentionHead"/>: attention probabilities constant, so no relevance enters the softmax or the
    /// query–key product); Softmax AttnLRP's rule (<see cref="LrpRules.Softmax"/>, for a softmax relevance still reaches);
    /// GELU — the Gelu operator or x·½(1 + erf(x/√2)) as exported — the identity (Pass on the activation, Gate on the
    /// exported product: the gate Φ(x) is a constant, as AttnLRP's identity rule for element-wise activations);
    /// residual Adds, the class token and positional embedding Norm; value movement its true gradient. All with one ε
    /// (<see cref="LrpRules.DefaultEpsilon"/> by default) and the one stabiliser stab(z) = z + ε·sign(z). Σ R_input =
    /// R_out minus what biases (linear biases, β of LayerNorm, the class token and positional embedding) and ε absorb.
    /// <see cref="VisionTransformers.TransformerMethod.Lrp"/> uses it.
    /// </summary>
    /// <param name="epsilon">ε of the linear layers, the LN-rule and the attention products.</param>
    public static LrpComposite Transformer(double epsilon = LrpRules.DefaultEpsilon) =>
        Create(nameof(Transformer), LrpRules.Epsilon(epsilon), LrpRules.Epsilon(epsilon))
            .WithProductRule(LrpRules.AttentionHead(epsilon))
            .WithOperatorRule("LayerNormalization", LrpRules.LayerNorm(epsilon))
            .WithOperatorRule("Softmax", LrpRules.Softmax);

    /// <summary>
    /// AttnLRP (Achtibat et al., "AttnLRP: Attention-Aware Layer-Wise Relevance Propagation for Transformers", ICML 2024):
    /// as <see cref="Transformer"/>, but relevance also flows through the attention probabilities: every product of two
    /// run-time tensors (query–key and attention–value) gets the uniform ε-rule (<see cref="LrpRules.Uniform"/>, half to
    /// each operand) and Softmax AttnLRP's rule (<see cref="LrpRules.Softmax"/>, which is not conservative: its Taylor
    /// bias absorbs Σ s ⊙ x · Σ R per row).
    /// </summary>
    /// <param name="epsilon">ε of the linear layers, the LN-rule and the products.</param>
    public static LrpComposite AttnLrp(double epsilon = LrpRules.DefaultEpsilon) =>
        Create(nameof(AttnLrp), LrpRules.Epsilon(epsilon), LrpRules.Epsilon(epsilon))
            .WithProductRule(LrpRules.Uniform(epsilon))
            .WithOperatorRule("LayerNormalization", LrpRules.LayerNorm(epsilon))
            .WithOperatorRule("Softmax", LrpRules.Softmax);

    /// <summary>A user-defined composite from a convolution rule, a dense rule and optionally a first-layer rule (each may be null), with the canonizers <see cref="LrpCanonizers.Default"/>.</summary>
    /// <param name="name">Its name, for messages.</param>
    /// <param name="convolution">The rule of Conv and ConvTranspose nodes.</param>
    /// <param name="dense">The rule of Gemm and MatMul nodes.</param>
    /// <param name="firstLayer">The rule of the first linear layers.</param>
    /// <exception cref="LrpRuleException">A rule does not apply to linear layers.</exception>
    public static LrpComposite Create(string name, LrpRule? convolution, LrpRule? dense, LrpRule? firstLayer = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        convolution?.RequireApplicable("Conv", null);
        dense?.RequireApplicable("Gemm", null);
        firstLayer?.RequireApplicable("Conv", null);
        return new(name, convolution, dense, firstLayer, LrpRules.AttentionHead(), ImmutableDictionary.Create<string, LrpRule>(StringComparer.Ordinal), ImmutableDictionary.Create<string, LrpRule>(StringComparer.Ordinal), [.. LrpCanonizers.Default]);
    }

    /// <summary>Returns a composite in which nodes of type <paramref name="opType"/> use <paramref name="rule"/>.</summary>
    /// <exception cref="LrpRuleException">The rule does not apply to that operator.</exception>
    public LrpComposite WithOperatorRule(string opType, LrpRule rule)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(rule);
        rule.RequireApplicable(opType, null);
        return new(Name, ConvolutionRule, DenseRule, FirstLayerRule, ProductRule, _byOperator.SetItem(opType, rule), _byNode, [.. Canonizers]);
    }

    /// <summary>
    /// Returns a composite in which the node named <paramref name="nodeName"/> uses <paramref name="rule"/> (checked
    /// against the node's operator when the composite is applied to a model).
    /// </summary>
    public LrpComposite WithNodeRule(string nodeName, LrpRule rule)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        ArgumentNullException.ThrowIfNull(rule);
        return new(Name, ConvolutionRule, DenseRule, FirstLayerRule, ProductRule, _byOperator, _byNode.SetItem(nodeName, rule), [.. Canonizers]);
    }

    /// <summary>Returns a composite whose convolutions use <paramref name="rule"/>.</summary>
    public LrpComposite WithConvolutionRule(LrpRule? rule)
    {
        rule?.RequireApplicable("Conv", null);
        return new(Name, rule, DenseRule, FirstLayerRule, ProductRule, _byOperator, _byNode, [.. Canonizers]);
    }

    /// <summary>Returns a composite whose dense layers use <paramref name="rule"/>.</summary>
    public LrpComposite WithDenseRule(LrpRule? rule)
    {
        rule?.RequireApplicable("Gemm", null);
        return new(Name, ConvolutionRule, rule, FirstLayerRule, ProductRule, _byOperator, _byNode, [.. Canonizers]);
    }

    /// <summary>Returns a composite whose first linear layers use <paramref name="rule"/> (null: none special).</summary>
    public LrpComposite WithFirstLayerRule(LrpRule? rule)
    {
        rule?.RequireApplicable("Conv", null);
        return new(Name, ConvolutionRule, DenseRule, rule, ProductRule, _byOperator, _byNode, [.. Canonizers]);
    }

    /// <summary>Returns a composite whose MatMul nodes with a run-time right operand use <paramref name="rule"/> (null: refuse them).</summary>
    /// <exception cref="LrpRuleException">The rule does not apply to MatMul.</exception>
    public LrpComposite WithProductRule(LrpRule? rule)
    {
        rule?.RequireApplicable("MatMul", null);
        return new(Name, ConvolutionRule, DenseRule, FirstLayerRule, rule, _byOperator, _byNode, [.. Canonizers]);
    }

    /// <summary>Returns a composite that applies <paramref name="canonizers"/>, in this order, instead of its current list.</summary>
    public LrpComposite WithCanonizers(IEnumerable<LrpCanonizer> canonizers)
    {
        ArgumentNullException.ThrowIfNull(canonizers);
        var list = canonizers.ToImmutableArray();
        if (list.Any(c => c is null))
        {
            throw new ArgumentException("A canonizer in the list is null.", nameof(canonizers));
        }

        return new(Name, ConvolutionRule, DenseRule, FirstLayerRule, ProductRule, _byOperator, _byNode, list);
    }

    /// <summary>Applies <see cref="Canonizers"/> in order to <paramref name="model"/>; returns the copy and the number of rewrites.</summary>
    public (OnnxModel Model, int Changes) Canonize(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int changes = 0;
        foreach (var canonizer in Canonizers)
        {
            (model, int made) = canonizer.Apply(model);
            changes += made;
        }

        return (model, changes);
    }

    /// <summary>The rule of one node under this composite (see the class remarks for the order), or null when it has none.</summary>
    /// <param name="opType">The node's operator type.</param>
    /// <param name="nodeName">The node's name.</param>
    /// <param name="isFirstLayer">Whether the node is a first linear layer.</param>
    /// <param name="runtimeProduct">Whether the node is a MatMul whose right operand is not a constant (it then gets <see cref="ProductRule"/>).</param>
    public LrpRule? RuleFor(string opType, string nodeName, bool isFirstLayer, bool runtimeProduct = false)
    {
        if (_byNode.TryGetValue(nodeName, out var rule))
        {
            return rule;
        }

        if (runtimeProduct && opType == "MatMul")
        {
            return ProductRule;
        }

        if (isFirstLayer && FirstLayerRule is not null && LrpGraphFacts.LinearOperators.Contains(opType))
        {
            return FirstLayerRule;
        }

        if (_byOperator.TryGetValue(opType, out rule))
        {
            return rule;
        }

        return opType switch
        {
            "Conv" or "ConvTranspose" => ConvolutionRule,
            "Gemm" or "MatMul" => DenseRule,
            _ => Defaults.GetValueOrDefault(opType),
        };
    }

    /// <summary>
    /// The backward rules implementing this composite on <paramref name="model"/>: every node of the graph gets a node
    /// rule (its LRP rule, or one throwing an <see cref="LrpRuleException"/> naming the node when the composite has
    /// none). Pass the registry to <see cref="Runtime.GradientRequest.Rules"/> together with the same model (prepared
    /// with <see cref="Runtime.GradientModel.Prepare"/>, whose node order and names <see cref="Runtime.GradientModel.Build"/> keeps).
    /// </summary>
    /// <exception cref="LrpRuleException">A node rule names a node the model lacks, or is assigned to a node it does not apply to.</exception>
    public GradientRuleRegistry CreateRegistry(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var facts = LrpGraphFacts.Of(model);
        var index = model.Index();
        var graph = model.Graph;
        var names = Enumerable.Range(0, graph.Node.Count).Select(index.NodeName).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _byNode.Keys.Where(n => !names.Contains(n)))
        {
            throw new LrpRuleException(_byNode[name].Name, "?", name, $"The LRP composite {Name} assigns {_byNode[name].Name} to node '{name}', which the model does not contain.");
        }

        var registry = GradientRuleRegistry.Default;
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var opType = graph.Node[n].OpType;
            var name = index.NodeName(n);
            if (_byNode.TryGetValue(name, out var explicitRule))
            {
                explicitRule.RequireApplicable(opType, name);
            }

            var node = graph.Node[n];
            bool runtimeProduct = opType == "MatMul" && node.Input.Count > 1 && !facts.IsConstant(node.Input[1]);
            var rule = RuleFor(opType, name, facts.FirstLayers.Contains(name), runtimeProduct);
            registry = registry.WithNodeRule(name, rule is null ? Missing(opType, name) : rule.ToGradientRule(facts));
        }

        return registry;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private GradientRule Missing(string opType, string nodeName) => _ =>
        throw new LrpRuleException(null, opType, nodeName,
            $"The LRP composite {Name} has no rule for {opType} node '{nodeName}', which lies on the relevance path. " +
            $"Assign one with LrpComposite.WithOperatorRule(\"{opType}\", …) or WithNodeRule(\"{nodeName}\", …); LrpRules.Gradient keeps its true gradient.");

    private static ImmutableDictionary<string, LrpRule> BuildDefaults() =>
        LrpOperatorTable.Entries
            .Select(e => (e.Key, Rule: LrpOperatorTable.DefaultRule(e.Value)))
            .Where(e => e.Rule is not null)
            .ToImmutableDictionary(e => e.Key, e => e.Rule!, StringComparer.Ordinal);
}
