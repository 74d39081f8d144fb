using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cli.Inputs;

/// <summary>A model file loaded for a command, with its single input's declared shape.</summary>
internal sealed class ModelFile
{
    private ModelFile(string path, OnnxModel model, string input, long[] inputShape)
    {
        Path = path;
        Model = model;
        Input = input;
        InputShape = inputShape;
    }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <summary>The model.</summary>
    public OnnxModel Model { get; }

    /// <summary>Its input's name.</summary>
    public string Input { get; }

    /// <summary>The input's declared dimensions, −1 where symbolic or unknown.</summary>
    public long[] InputShape { get; }

    /// <summary>Channels, height and width of an image input [N, C, H, W] (−1 where not fixed), else null.</summary>
    public (long Channels, long Height, long Width)? ImageShape => InputShape is [_, var c, var h, var w] ? (c, h, w) : null;

    /// <summary>Loads <paramref name="path"/>, turning every failure into a <see cref="CliException"/>.</summary>
    public static ModelFile Load(string? path)
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
        if (inputs.Count != 1)
        {
            throw new CliException(ExitCodes.ModelError, $"Model '{full}' has {inputs.Count} inputs ({string.Join(", ", inputs)}); onnx-xai explains models with one image input.");
        }

        var dims = model.DeclaredInputs[0].Shape.ToArray();
        return new ModelFile(full, model, inputs[0], dims);
    }
}
