using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>An explanation method the tool knows by name.</summary>
/// <param name="Name">The command-line name.</param>
/// <param name="Kind">Map or input attribution.</param>
/// <param name="Description">One line for the help.</param>
/// <param name="Run">Computes it; null when the library does not implement it yet.</param>
/// <param name="Cam">The CAM weighting, for CAM methods (used by <c>ablate</c> and <c>compile</c>); else null.</param>
internal sealed record ExplanationMethod(string Name, MapKind Kind, string Description, Func<OnnxModel, FloatTensor, long[]?, MethodOptions, MethodResult>? Run, Explainers.ExplanationMethod? Cam = null)
{
    public bool IsAvailable => Run is not null;

    /// <summary>
    /// Runs the method, observing <see cref="MethodOptions.Cancellation"/>, and refuses a result holding NaN or ±∞
    /// (an input the model cannot score, such as pixels near float's maximum): such values must never be written as
    /// if they were an explanation.
    /// </summary>
    /// <exception cref="CliException">The method is not available, or its result is not finite.</exception>
    /// <exception cref="OperationCanceledException">The run was cancelled.</exception>
    public MethodResult Compute(OnnxModel model, FloatTensor batch, long[]? targets, MethodOptions options)
    {
        options.Cancellation.ThrowIfCancellationRequested();
        var result = (Run ?? throw Methods.NotAvailable(this))(model, batch, targets, options);
        options.Cancellation.ThrowIfCancellationRequested();
        for (int row = 0; row < (result.Scores?.Count ?? 0); row++)
        {
            if (!float.IsFinite(result.Scores![row]))
            {
                throw new CliException(ExitCodes.ModelError, string.Create(CultureInfo.InvariantCulture, $"The model's output for row {row} is {result.Scores[row]} at the explained class (forward output, method '{Name}'): this input cannot be scored (for example pixel values far outside the range the model was trained on). Nothing was written."));
            }
        }

        RequireFinite(result.Values);
        return result;
    }

    private void RequireFinite(FloatTensor values)
    {
        var data = values.Data;
        int rowLength = Math.Max(1, values.RowLength);
        for (int i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                throw new CliException(ExitCodes.ModelError, string.Create(CultureInfo.InvariantCulture, $"Method '{Name}' produced {data[i]} for row {i / rowLength} (element {i % rowLength}): the model's output or gradient is not finite for this input (for example pixel values far outside the range the model was trained on). Nothing was written."));
            }
        }
    }
}
