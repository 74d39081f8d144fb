using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Explainers;
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

    /// <summary>
    /// Checks that <paramref name="file"/> is not a folder and that it can be created: its nearest existing ancestor is a
    /// writable folder. Missing folders are created only when the file is written, so a failed run leaves none behind.
    /// </summary>
    public static string PrepareFile(string file)
    {
        var full = Path.GetFullPath(file);
        if (Directory.Exists(full))
        {
            throw new CliException(ExitCodes.OutputNotWritable, $"Output '{full}' is a folder; give a file name.");
        }

        var existing = Path.GetDirectoryName(full);
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                throw new CliException(ExitCodes.OutputNotWritable, $"Cannot write '{full}': '{existing}' is a file, not a folder.");
            }

            existing = Path.GetDirectoryName(existing);
        }

        if (existing is null)
        {
            throw new CliException(ExitCodes.OutputNotWritable, $"Cannot write '{full}': no folder of its path exists.");
        }

        Guard(full, () =>
        {
            var probe = Path.Combine(existing, $".onnx-xai-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        });
        return full;
    }

    /// <summary>
    /// Refuses an output inside an input folder: a second run would read the tool's own outputs (overlay PNGs) as
    /// inputs. Paths are compared after resolving links, so a link cannot hide the nesting.
    /// </summary>
    public static void RefuseInsideInput(string output, string? input)
    {
        if (string.IsNullOrWhiteSpace(input) || !Directory.Exists(input))
        {
            return;
        }

        var folder = Resolve(Path.GetFullPath(input));
        var target = Resolve(Path.GetFullPath(output));
        if (target == folder || target.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new CliException(ExitCodes.Usage, $"Output '{target}' is inside the input folder '{folder}': a later run would read this run's outputs as input images. Choose an output outside the input folder.");
        }
    }

    /// <summary>The full path with each existing component that is a link replaced by its final target.</summary>
    private static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "";
        var resolved = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(resolved, part);
            try
            {
                next = File.ResolveLinkTarget(next, returnFinalTarget: true)?.FullName ?? next;
            }
            catch (IOException)
            {
                // Not there (yet): nothing to resolve.
            }

            resolved = next;
        }

        return resolved.TrimEnd(Path.DirectorySeparatorChar) is { Length: > 0 } trimmed ? trimmed : resolved;
    }

    /// <summary>Writes a float32 .npy file atomically.</summary>
    public static void WriteNpy(string path, FloatTensor tensor) => WriteAtomically(path, temporary => Npy.Write(temporary, tensor));

    /// <summary>Writes an int64 .npy vector atomically.</summary>
    public static void WriteInt64(string path, long[] values) => WriteAtomically(path, temporary => Npy.WriteInt64(temporary, values, values.Length));

    /// <summary>Writes bytes atomically.</summary>
    public static void WriteBytes(string path, byte[] bytes) => WriteAtomically(path, temporary => File.WriteAllBytes(temporary, bytes));

    /// <summary>Writes text (UTF-8) atomically.</summary>
    public static void WriteText(string path, string text) => WriteAtomically(path, temporary => File.WriteAllText(temporary, text));

    /// <summary>
    /// Writes <paramref name="path"/> through a temporary file in the same folder, renamed over the target only once
    /// complete: a reader sees the old file or the new one, never a half-written one, and a failure leaves no
    /// temporary behind.
    /// </summary>
    public static void WriteAtomically(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        Guard(full, () =>
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                write(temporary);
                File.Move(temporary, full, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
        });
    }

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
    public static byte[]? OverlayPng(InputBatch batch, FloatTensor values, ExplanationLayout layout, int row)
    {
        var display = batch.Display;
        if (display.Rank != 4)
        {
            return null;
        }

        int c = (int)display.Shape[1], h = (int)display.Shape[2], w = (int)display.Shape[3];
        var image = display.Rows(row, 1);
        FloatTensor explanation;
        if (layout == ExplanationLayout.Map)
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
        return HeatmapRenderer.OverlayPng(image, explanation, 0, layout == ExplanationLayout.Map ? HeatmapColormap.Jet : HeatmapColormap.Inferno, alpha: 0.5, scale: scale, absolute: layout == ExplanationLayout.InputAttribution);
    }
}
