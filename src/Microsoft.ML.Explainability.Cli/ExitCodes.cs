namespace Microsoft.ML.Explainability.Cli;

/// <summary>Exit codes of <c>onnx-xai</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>An unexpected failure (the message says what failed).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: an unknown command, method, option value or a missing option.</summary>
    public const int Usage = 2;

    /// <summary>An input cannot be read: a missing file, a bad <c>.npy</c> file, an image that cannot be decoded.</summary>
    public const int BadInput = 3;

    /// <summary>An output cannot be written (folder not writable, path is a file, disk full).</summary>
    public const int OutputNotWritable = 4;

    /// <summary>The method exists but is not available in this build of the library, or cannot be compiled to ONNX.</summary>
    public const int NotAvailable = 5;

    /// <summary>The model cannot be explained: not a usable ONNX model, an unsupported operator, a bad target layer.</summary>
    public const int ModelError = 6;

    /// <summary>The run was cancelled (Ctrl+C) and left no output; 130 = 128 + SIGINT, as shells report an interrupted command.</summary>
    public const int Cancelled = 130;
}
