using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>The relevance put on the explained output before it is propagated back.</summary>
public enum LrpSeed
{
    /// <summary>R_out = 1 at the target class, 0 elsewhere (Zennit's usual one-hot attribution target).</summary>
    OneHot,

    /// <summary>
    /// R_out = the output's value (the logit) at the target class, 0 elsewhere; with a given seed tensor, R_out = seed ⊙ output.
    /// Then Σ R_input = logit − (relevance absorbed by biases and stabilisers); see <see cref="LrpComposite"/> for the output layer.
    /// </summary>
    Logit,
}
