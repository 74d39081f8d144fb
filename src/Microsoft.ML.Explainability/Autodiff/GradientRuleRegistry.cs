using System.Collections.Immutable;
using Microsoft.ML.Explainability.Autodiff.Rules;

namespace Microsoft.ML.Explainability.Autodiff;

/// <summary>
/// Which <see cref="GradientRule"/> differentiates which node: a rule given for a node name wins over one given for
/// its operator type, which wins over the default table (<see cref="Default"/>). Registries are immutable: every
/// <c>With…</c> method returns a new registry, so overrides made for one method (Guided Backprop's ReLU, an LRP
/// composite) never leak into another.
/// </summary>
public sealed class GradientRuleRegistry
{
    private readonly ImmutableDictionary<string, GradientRule> _byOperator;
    private readonly ImmutableDictionary<string, GradientRule> _byNode;

    private GradientRuleRegistry(ImmutableDictionary<string, GradientRule> byOperator, ImmutableDictionary<string, GradientRule> byNode)
    {
        _byOperator = byOperator;
        _byNode = byNode;
    }

    /// <summary>The true gradients of every supported default-domain operator.</summary>
    public static GradientRuleRegistry Default { get; } =
        new(DefaultRules.Table.ToImmutableDictionary(StringComparer.Ordinal), ImmutableDictionary.Create<string, GradientRule>(StringComparer.Ordinal));

    /// <summary>Operator types that have a rule.</summary>
    public IReadOnlyCollection<string> SupportedOperators => _byOperator.Keys.ToArray();

    /// <summary>Returns a registry in which nodes of type <paramref name="opType"/> use <paramref name="rule"/>.</summary>
    public GradientRuleRegistry WithOperatorRule(string opType, GradientRule rule)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(rule);
        return new(_byOperator.SetItem(opType, rule), _byNode);
    }

    /// <summary>Returns a registry in which the node named <paramref name="nodeName"/> uses <paramref name="rule"/>.</summary>
    public GradientRuleRegistry WithNodeRule(string nodeName, GradientRule rule)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        ArgumentNullException.ThrowIfNull(rule);
        return new(_byOperator, _byNode.SetItem(nodeName, rule));
    }

    /// <summary>The rule of the registered operator type, or null.</summary>
    public GradientRule? ForOperator(string opType) => _byOperator.GetValueOrDefault(opType);

    /// <summary>The rule for one node: by node name, else by operator type (default domain only), else null.</summary>
    public GradientRule? Find(string opType, string domain, string nodeName)
    {
        if (_byNode.TryGetValue(nodeName, out var rule))
        {
            return rule;
        }

        return domain is "" or "ai.onnx" ? _byOperator.GetValueOrDefault(opType) : null;
    }
}
