using System.Globalization;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Checks shared by every metric; each failure names the offending tensor, shape or element.</summary>
internal static class EvaluationGuard
{
    public static void RequireInputs(FloatTensor inputs, string name = "inputs")
    {
        ArgumentNullException.ThrowIfNull(inputs, name);
        if (inputs.Rank < 2)
        {
            throw new EvaluationInputException($"The {name} must be a batch [N, …] of rank 2 or more; got {inputs.ShapeText}.");
        }

        if (inputs.BatchSize == 0 || inputs.RowLength == 0)
        {
            throw new EvaluationInputException($"The {name} are empty ({inputs.ShapeText}): give at least one sample with at least one element to evaluate.");
        }

        RequireFinite(inputs, name);
    }

    public static void RequireExplanations(FloatTensor inputs, FloatTensor explanations)
    {
        RequireInputs(inputs);
        ArgumentNullException.ThrowIfNull(explanations);
        if (!explanations.Shape.SequenceEqual(inputs.Shape))
        {
            throw new EvaluationInputException(
                $"The explanations have shape {explanations.ShapeText} but the inputs have shape {inputs.ShapeText}; they must be equal " +
                "(one attribution per input element — broadcast a [N, H, W] map over the channels first).");
        }

        RequireFinite(explanations, "explanations");
    }

    public static void RequireFinite(FloatTensor tensor, string name)
    {
        var data = tensor.Data;
        for (int i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                int row = tensor.RowLength == 0 ? 0 : i / tensor.RowLength;
                throw new EvaluationInputException(
                    string.Create(CultureInfo.InvariantCulture, $"The {name} contain a non-finite value ({data[i]}) at row {row}, element {i - (row * tensor.RowLength)}; metrics are undefined for NaN or infinite attributions."));
            }
        }
    }

    public static long[]? CheckTargets(long[]? targets, int rows)
    {
        if (targets is not null && targets.Length != rows)
        {
            throw new EvaluationInputException($"{targets.Length} targets were given for {rows} samples; give one per sample (or null for the predicted class).");
        }

        return targets;
    }
}
