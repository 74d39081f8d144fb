namespace Microsoft.ML.Explainability;

/// <summary>
/// A finite input produced NaN or ±Infinity: the model's output overflowed (a huge but finite input, weights that
/// overflow float32), a gradient did, or a method's map did. The explanation of that row would be meaningless, so
/// nothing is returned. <see cref="Row"/>, <see cref="Stage"/> and <see cref="Tensor"/> locate the first bad value.
/// Non-finite <em>inputs</em> are refused earlier, with <c>Attribution.NonFiniteInputException</c>.
/// </summary>
public sealed class NonFiniteResultException : ExplainabilityException
{
    /// <summary>Creates the exception for element <paramref name="index"/> of row <paramref name="row"/> of <paramref name="tensor"/>.</summary>
    public NonFiniteResultException(ComputationStage stage, string tensor, int row, int index, float value)
        : base($"Row {row}: the {StageText(stage)} '{tensor}' holds a non-finite value ({value}) at element {index} of the row, although the input is finite. " +
               "The model overflows float32 on this input (check its scale and normalisation); no explanation is returned for it.")
    {
        Stage = stage;
        Tensor = tensor;
        Row = row;
        Index = index;
    }

    /// <summary>The stage that produced the value.</summary>
    public ComputationStage Stage { get; }

    /// <summary>The tensor (model output, gradient's tensor, or map) holding it.</summary>
    public string Tensor { get; }

    /// <summary>The batch row.</summary>
    public int Row { get; }

    /// <summary>The position inside the row (row-major).</summary>
    public int Index { get; }

    /// <summary>Throws for the first NaN or ±Infinity in <paramref name="data"/>, rows of <paramref name="rowLength"/> elements.</summary>
    /// <param name="data">The values, row-major.</param>
    /// <param name="rowLength">Elements per row.</param>
    /// <param name="stage">The stage reported.</param>
    /// <param name="tensor">The tensor reported.</param>
    /// <param name="rowOffset">Added to the row number reported (for data holding a slice of the batch).</param>
    internal static void ThrowIfAny(ReadOnlySpan<float> data, int rowLength, ComputationStage stage, string tensor, int rowOffset = 0)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                int length = Math.Max(1, rowLength);
                throw new NonFiniteResultException(stage, tensor, rowOffset + (i / length), i % length, data[i]);
            }
        }
    }

    private static string StageText(ComputationStage stage) => stage switch
    {
        ComputationStage.ForwardOutput => "forward output",
        ComputationStage.Gradient => "gradient of",
        _ => "map",
    };
}
