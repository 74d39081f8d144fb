using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// Which input of a model is explained: the one rule every explainer, the explanation compiler, the ML.NET estimators
/// and the command line apply to a model with several inputs (the others are fed by the caller and held fixed).
/// </summary>
public static class ExplainedInput
{
    /// <summary>
    /// The explained input among <paramref name="inputs"/>: <paramref name="explainedInput"/> when given (it must exist
    /// and be float32), else the only input, else the only float32 input of rank 4 (an image [N, C, H, W]). The one rule
    /// the explainers, the compiler, ML.NET and the command line apply (the last two read the types from the declared inputs).
    /// </summary>
    /// <exception cref="InputMismatchException">The named input does not exist or is not float32, or the choice is ambiguous (the message lists the inputs).</exception>
    public static string Choose(IReadOnlyList<string> inputs, Func<string, (TensorElementType Type, int Rank, string ShapeText)> info, string? explainedInput)
    {
        string Listing() => string.Join(", ", inputs.Select(i => $"'{i}' {info(i).Type} {info(i).ShapeText}"));
        string input;
        if (explainedInput is not null)
        {
            input = inputs.Contains(explainedInput, StringComparer.Ordinal) ? explainedInput
                : throw new InputMismatchException($"The model has no input named '{explainedInput}' to explain; its inputs are {Listing()}.", explainedInput);
        }
        else if (inputs.Count == 1)
        {
            input = inputs[0];
        }
        else
        {
            var images = inputs.Where(i => info(i).Type == TensorElementType.Float && info(i).Rank == 4).ToArray();
            input = images.Length == 1 ? images[0]
                : throw new InputMismatchException($"The model has {inputs.Count} inputs ({Listing()}) and {(images.Length == 0 ? "no" : images.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))} float image input [N, C, H, W]; name the input to explain (ExplainedInput in the options or MethodSettings, --explained-input in the CLI).");
        }

        if (info(input).Type != TensorElementType.Float)
        {
            throw new InputMismatchException($"Input '{input}' is {info(input).Type}; the explained input must be float32.", input);
        }

        return input;
    }
}
