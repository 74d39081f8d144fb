using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Cli.Inputs;

/// <summary>A model file loaded for a command: the input it explains (with its declared shape) and its other inputs.</summary>
internal sealed class ModelFile
{
    private ModelFile(string path, OnnxModel model, string input, long[] inputShape, IReadOnlyDictionary<string, TensorElementType> otherInputs)
    {
        Path = path;
        Model = model;
        Input = input;
        InputShape = inputShape;
        OtherInputs = otherInputs;
    }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <summary>The model.</summary>
    public OnnxModel Model { get; }

    /// <summary>The explained input's name.</summary>
    public string Input { get; }

    /// <summary>The model's other inputs (fed with <c>--input NAME=FILE.npy</c>) and their declared element types.</summary>
    public IReadOnlyDictionary<string, TensorElementType> OtherInputs { get; }

    /// <summary>The input's declared dimensions, −1 where symbolic or unknown.</summary>
    public long[] InputShape { get; }

    /// <summary>Channels, height and width of an image input [N, C, H, W] (−1 where not fixed), else null.</summary>
    public (long Channels, long Height, long Width)? ImageShape => InputShape is [_, var c, var h, var w] ? (c, h, w) : null;

    /// <summary>This model, or a usage error when it has inputs besides the explained one (<paramref name="command"/> runs single-input models).</summary>
    public ModelFile RequireSingleInput(string command) => OtherInputs.Count == 0 ? this
        : throw new CliException(ExitCodes.Usage, $"'{command}' runs single-input models; '{Path}' also has the inputs {string.Join(", ", OtherInputs.Keys)} (explain it with `explain --input NAME=FILE.npy`).");

    /// <summary>
    /// Loads <paramref name="path"/>, turning every failure into a <see cref="CliException"/>; the explained input is
    /// <paramref name="explainedInput"/> (<c>--explained-input</c>) or the core's default choice.
    /// </summary>
    public static ModelFile Load(string? path, string? explainedInput = null)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new CliException(ExitCodes.Usage, "--model is required: the path of an .onnx file.");
        }

        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new CliException(ExitCodes.BadInput, Directory.Exists(full) ? $"Model '{full}' is a folder, not an .onnx file." : $"Model file '{full}' does not exist.");
        }

        OnnxModel model;
        try
        {
            model = OnnxModel.Load(full);
        }
        catch (InvalidOnnxModelException e)
        {
            throw new CliException(ExitCodes.BadInput, e.Message, e);
        }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.BadInput, $"Model file '{full}' cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException(ExitCodes.BadInput, $"Model file '{full}' cannot be read: {e.Message}", e);
        }

        var inputs = model.InputNames;
        var declared = model.DeclaredInputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        long[] Dims(string name) => declared[name].Shape.ToArray();
        TensorElementType Type(string name) => declared[name].ElementType;
        string input;
        try
        {
            input = ExplainedInput.Choose(inputs, name => (Type(name), Dims(name).Length, "[" + string.Join(", ", Dims(name).Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]"), explainedInput);
        }
        catch (InputMismatchException e)
        {
            throw new CliException(ExitCodes.Usage, e.Message.Replace("(ExplainedInput in the options or MethodSettings, --explained-input in the CLI)", "with --explained-input", StringComparison.Ordinal), e);
        }

        var others = inputs.Where(i => i != input).ToDictionary(i => i, Type, StringComparer.Ordinal);
        return new ModelFile(full, model, input, Dims(input), others);
    }
}
