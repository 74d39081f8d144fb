using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>
/// The modified ReLU backward rules of Guided Backpropagation and Deconvnet, as <see cref="GradientRule"/>s and as
/// rule registries. Only nodes of type <c>Relu</c> are changed: every other operator keeps its true gradient —
/// including other activations (LeakyRelu, PRelu, HardSwish, HardSigmoid, Sigmoid, Tanh, GELU/Erf, Clip, i.e. ReLU6
/// exported as Clip), which pass the gradient multiplied by their true derivative, negative values included. This is
/// what Captum's <c>GuidedBackprop</c>/<c>Deconvolution</c> (hooks on <c>nn.ReLU</c> modules only) and
/// pytorch-grad-cam's <c>GuidedBackpropReLUModel</c> (which replaces <c>nn.ReLU</c> modules) do too.
/// </summary>
public static class ModifiedReluRules
{
    /// <summary>
    /// Guided Backpropagation (Springenberg et al., ICLR-W 2015): a ReLU passes the gradient only where its input is
    /// positive and the incoming gradient is positive: dX = ReLU(dY)·[X &gt; 0]. The mask is read from the ReLU's
    /// output ([Y &gt; 0] = [X &gt; 0]) so that ONNX Runtime can still fuse the ReLU into the preceding Conv (reading X
    /// would keep the pre-activation tensor alive and block the Conv+ReLU and Conv+Add+ReLU fusions), in the same form as
    /// the true ReLU gradient's mask.
    /// </summary>
    public static GradientRule GuidedBackprop { get; } = c =>
        c.SetInputGradient(0, Autodiff.Rules.StepMasks.TimesPositiveOutput(c, c.Graph.Node("Relu", [c.OutputGradient(0)!])));

    /// <summary>Deconvnet (Zeiler &amp; Fergus, ECCV 2014): a ReLU passes the positive part of the incoming gradient whatever its input: dX = ReLU(dY).</summary>
    public static GradientRule Deconvnet { get; } = c => c.SetInputGradient(0, c.Graph.Node("Relu", [c.OutputGradient(0)!]));

    /// <summary><paramref name="rules"/> (default: true gradients) with ReLU replaced by <see cref="GuidedBackprop"/>.</summary>
    public static GradientRuleRegistry WithGuidedBackprop(GradientRuleRegistry? rules = null) => (rules ?? GradientRuleRegistry.Default).WithOperatorRule("Relu", GuidedBackprop);

    /// <summary><paramref name="rules"/> (default: true gradients) with ReLU replaced by <see cref="Deconvnet"/>.</summary>
    public static GradientRuleRegistry WithDeconvnet(GradientRuleRegistry? rules = null) => (rules ?? GradientRuleRegistry.Default).WithOperatorRule("Relu", Deconvnet);
}
