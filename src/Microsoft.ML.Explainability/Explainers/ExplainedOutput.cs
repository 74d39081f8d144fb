using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>Which model output an explainer explains when none is named: the rule every explainer follows.</summary>
public static class ExplainedOutput
{
    /// <summary>
    /// <paramref name="output"/> when given (checked to exist), else the first floating-point output of shape
    /// [N, classes], else the first floating-point output.
    /// </summary>
    /// <exception cref="UnknownTensorException">The named tensor does not exist.</exception>
    /// <exception cref="InvalidOnnxModelException">The model has no floating-point output.</exception>
    public static string Resolve(OnnxModel model, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prepared = GradientModel.Prepare(model);
        return Resolve(prepared, ShapeProbe.Run(prepared), output);
    }

    /// <summary><see cref="Resolve(OnnxModel, string?)"/> over a prepared model's measured shapes.</summary>
    internal static string Resolve(OnnxModel prepared, ModelShapes shapes, string? output)
    {
        if (output is null)
        {
            var outputs = prepared.OutputNames;
            return outputs.FirstOrDefault(o => shapes.Contains(o) && shapes[o].IsFloatingPoint && shapes[o].Rank == 2)
                ?? outputs.FirstOrDefault(o => shapes.Contains(o) && shapes[o].IsFloatingPoint)
                ?? throw new InvalidOnnxModelException("The model has no floating-point output to explain.");
        }

        return shapes.Contains(output) ? output : throw new UnknownTensorException(output, $"The model has no tensor named '{output}' to explain.");
    }
}
