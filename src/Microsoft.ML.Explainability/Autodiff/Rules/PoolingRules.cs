using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of pooling.</summary>
internal static class PoolingRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("MaxPool", MaxPool),
        new("GlobalAveragePool", GlobalAveragePool),
    ];

    /// <summary>
    /// The gradient goes to the winner of each window. MaxPool is run again with its Indices output (flat positions in
    /// the whole input, batch included, row-major), and dY is scattered into zeros with ScatterElements(reduction
    /// "add"), so an input that wins several overlapping windows receives the sum of their gradients.
    /// </summary>
    public static void MaxPool(GradientContext c)
    {
        var g = c.Graph;
        var attributes = c.Attributes.Where(a => a.Proto.Name != "storage_order").ToArray();
        var indices = g.Node("MaxPool", [c.Input(0)], 2, attributes)[1];
        var flatZeros = g.Reshape(g.ZerosLike(c.Input(0), c.ElementType), g.Int64s(-1));
        var flatIndices = g.Reshape(indices, g.Int64s(-1));
        var flatGradient = g.Reshape(c.OutputGradient(0)!, g.Int64s(-1));
        var scattered = g.Node("ScatterElements", [flatZeros, flatIndices, flatGradient],
            AttributeValue.Int("axis", 0), AttributeValue.String("reduction", "add"));
        c.SetInputGradient(0, g.ReshapeLike(scattered, c.Input(0)));
    }

    /// <summary>Y = mean of X over space: dX = dY / (H·W·…) broadcast over space.</summary>
    public static void GlobalAveragePool(GradientContext c)
    {
        var g = c.Graph;
        var spatial = c.InputInfo(0).Shape.Skip(2).ToArray();
        if (spatial.Any(d => d < 0))
        {
            throw c.Unsupported("spatial dimensions that change with the batch size are not supported.");
        }

        double count = spatial.Aggregate(1.0, (a, d) => a * d);
        var scaled = g.Div(c.OutputGradient(0)!, c.Scalar(count));
        c.SetInputGradient(0, g.Node("Expand", [scaled, g.Shape(c.Input(0))]));
    }
}
