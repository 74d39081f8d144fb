using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Lrp.Rules;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// An LRP rule cannot be used where it was asked for: it was assigned to an operator it does not apply to, the
/// composite has no rule for a node on the relevance path, or the node lacks what the rule needs (constant weights).
/// </summary>
public sealed class LrpRuleException : GradientException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="rule">The rule's name, or null when no rule was found.</param>
    /// <param name="opType">The operator type.</param>
    /// <param name="nodeName">The node's name, or null when the problem is with an operator type.</param>
    /// <param name="message">The message.</param>
    public LrpRuleException(string? rule, string opType, string? nodeName, string message)
        : base(message)
    {
        Rule = rule;
        OpType = opType;
        NodeName = nodeName;
    }

    /// <summary>The rule's name, or null when the composite has no rule for the node.</summary>
    public string? Rule { get; }

    /// <summary>The operator type of the node (or the operator the rule was assigned to).</summary>
    public string OpType { get; }

    /// <summary>The node's name, or null when a rule was assigned to an operator type.</summary>
    public string? NodeName { get; }
}
