namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of pointwise activations. dY is the incoming gradient, X the input, Y the output.</summary>
internal static class ActivationRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("Relu", Relu),
    ];

    /// <summary>dX = dY where X &gt; 0, else 0 (the subgradient at 0 is 0, as in PyTorch).</summary>
    public static void Relu(GradientContext c)
    {
        var g = c.Graph;
        var positive = g.Node("Greater", [c.Input(0), c.Scalar(0)]);
        c.SetInputGradient(0, g.Where(positive, c.OutputGradient(0)!, c.Scalar(0)));
    }
}
