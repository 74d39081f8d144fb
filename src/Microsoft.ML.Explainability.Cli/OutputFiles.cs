using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Reports;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>Writes the tool's outputs, turning file-system failures into <see cref="ExitCodes.OutputNotWritable"/>.</summary>
internal static class OutputFiles
{
    /// <summary>Creates <paramref name="folder"/> if needed and checks that a file can be written in it.</summary>
    public static string PrepareFolder(string folder)
    {
        var full = Path.GetFullPath(folder);
        if (File.Exists(full))
        {
            throw new CliException(ExitCodes.OutputNotWritable, $"Output folder '{full}' is an existing file.");
        }

        Guard(full, () =>
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".onnx-xai-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        });
        return full;
    }

    /// <summary>Checks that the folder of <paramref name="file"/> exists (creating it) and is writable.</summary>
    public static string PrepareFile(string file)
    {
        var full = Path.GetFullPath(file);
        if (Directory.Exists(full))
        {
            throw new CliException(ExitCodes.OutputNotWritable, $"Output '{full}' is a folder; give a file name.");
        }

        PrepareFolder(Path.GetDirectoryName(full)!);
        return full;
    }

    /// <summary>Writes a float32 .npy file.</summary>
    public static void WriteNpy(string path, FloatTensor tensor) => Guard(path, () => Npy.Write(path, tensor));

    /// <summary>Writes an int64 .npy vector.</summary>
    public static void WriteInt64(string path, long[] values) => Guard(path, () => Npy.WriteInt64(path, values, values.Length));

    /// <summary>Writes bytes.</summary>
    public static void WriteBytes(string path, byte[] bytes) => Guard(path, () => File.WriteAllBytes(path, bytes));

    /// <summary>Writes text (UTF-8).</summary>
    public static void WriteText(string path, string text) => Guard(path, () => File.WriteAllText(path, text));

    /// <summary>Runs a write, mapping I/O failures to a readable error naming <paramref name="path"/>.</summary>
    public static void Guard(string path, Action write)
    {
        try
        {
            write();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException(ExitCodes.OutputNotWritable, $"Cannot write '{path}': permission denied ({e.Message}).", e);
        }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.OutputNotWritable, $"Cannot write '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The overlay PNG of one row: the values as a heatmap over the input image. Maps (N×H×W, or N×h×w raw maps,
    /// upsampled by nearest neighbour) use the jet colormap; input attributions (N×C×H×W) are summed over channels and
    /// shown as absolute values with inferno.
    /// </summary>
    public static byte[]? OverlayPng(InputBatch batch, FloatTensor values, MapKind kind, int row)
    {
        var display = batch.Display;
        if (display.Rank != 4)
        {
            return null;
        }

        int c = (int)display.Shape[1], h = (int)display.Shape[2], w = (int)display.Shape[3];
        var image = display.Rows(row, 1);
        FloatTensor explanation;
        if (kind == MapKind.Map)
        {
            int mh = (int)values.Shape[1], mw = (int)values.Shape[2];
            var map = values.Row(row);
            var data = new float[c * h * w];
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    float v = map[(y * mh / h * mw) + (x * mw / w)];
                    for (int k = 0; k < c; k++)
                    {
                        data[(k * h * w) + (y * w) + x] = v / c;
                    }
                }
            }

            explanation = new FloatTensor(data, 1, c, h, w);
        }
        else
        {
            explanation = values.Rows(row, 1);
        }

        int scale = Math.Max(1, 224 / Math.Max(h, w));
        return HeatmapRenderer.OverlayPng(image, explanation, 0, kind == MapKind.Map ? HeatmapColormap.Jet : HeatmapColormap.Inferno, alpha: 0.5, scale: scale, absolute: kind == MapKind.InputAttribution);
    }
}
