namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of operators that move data without arithmetic (reshapes, copies, casts).</summary>
internal static class ShapeRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("Flatten", ReshapeBack),
        new("Reshape", ReshapeBack),
        new("Identity", PassThrough),
    ];

    /// <summary>Y is X with another shape: dX = Reshape(dY, Shape(X)).</summary>
    public static void ReshapeBack(GradientContext c) =>
        c.SetInputGradient(0, c.Graph.ReshapeLike(c.OutputGradient(0)!, c.Input(0)));

    /// <summary>Y = X: dX = dY.</summary>
    public static void PassThrough(GradientContext c) => c.SetInputGradient(0, c.OutputGradient(0)!);
}
