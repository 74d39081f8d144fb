namespace Microsoft.ML.Explainability;

/// <summary>An operator on the differentiated path has no backward rule in the registry in use.</summary>
public sealed class UnsupportedOperatorException : GradientException
{
    /// <summary>Creates the exception for one node.</summary>
    public UnsupportedOperatorException(string opType, string nodeName, string domain, IEnumerable<string> supported)
        : base($"Operator '{(string.IsNullOrEmpty(domain) ? "" : domain + ".")}{opType}' (node '{nodeName}') lies on the differentiated path " +
               $"but has no backward rule. Supported operators: {string.Join(", ", supported.OrderBy(s => s, StringComparer.Ordinal))}. " +
               "Register a rule with GradientRuleRegistry.WithOperatorRule to differentiate it.")
    {
        OpType = opType;
        NodeName = nodeName;
    }

    /// <summary>The operator type that has no rule.</summary>
    public string OpType { get; }

    /// <summary>The node's name.</summary>
    public string NodeName { get; }
}
