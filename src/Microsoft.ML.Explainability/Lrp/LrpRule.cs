using System.Globalization;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Lrp.Rules;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// A Layer-wise Relevance Propagation rule: how the relevance R_out arriving at a node's output is redistributed onto
/// its inputs. Rules run inside the differentiation engine as backward rules (<see cref="Autodiff.GradientRule"/>):
/// relevance is what flows backward, so the attribution at the input is the "gradient" the engine returns there.
/// Linear rules follow Zennit's formulation R_in = x ⊙ (∂z′/∂x)ᵀ·(R_out / stab(z′)) with a modified forward z′ and
/// stab(z) = z + ε·sign(z), sign(0) = +1. The built-in rules are listed in <see cref="LrpRules"/>.
/// </summary>
public abstract class LrpRule
{
    private protected LrpRule()
    {
    }

    /// <summary>The rule's name with its parameters, for example "Epsilon(ε=1E-06)".</summary>
    public abstract string Name { get; }

    /// <summary>Whether the rule can be applied to nodes of operator type <paramref name="opType"/>.</summary>
    public abstract bool CanApplyTo(string opType);

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Throws an <see cref="LrpRuleException"/> unless the rule applies to <paramref name="opType"/>.</summary>
    internal void RequireApplicable(string opType, string? nodeName)
    {
        if (!CanApplyTo(opType))
        {
            throw new LrpRuleException(Name, opType, nodeName,
                $"LRP rule {Name} cannot be applied to {(nodeName is null ? $"operator {opType}" : $"{opType} node '{nodeName}'")}: {Applicability}");
        }
    }

    /// <summary>A sentence naming the operators the rule applies to, for error messages.</summary>
    private protected abstract string Applicability { get; }

    /// <summary>Emits the relevance of the node's inputs from the relevance at its output.</summary>
    internal abstract void Propagate(GradientContext c, LrpGraphFacts facts);

    /// <summary>A rule parameter as shown in <see cref="Name"/>.</summary>
    private protected static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Returns a stabiliser ε after checking it is finite and non-negative.</summary>
    private protected static double CheckEpsilon(double epsilon) =>
        epsilon >= 0 && !double.IsInfinity(epsilon) ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be finite and non-negative.");

    /// <summary>The rule as an engine backward rule; checks the operator type when it runs.</summary>
    internal GradientRule ToGradientRule(LrpGraphFacts facts) => c =>
    {
        RequireApplicable(c.OpType, c.NodeName);
        Propagate(c, facts);
    };
}
