using System.Collections.Concurrent;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>
/// An output folder written all or nothing. Files go to a hidden staging folder next to the target (same file system,
/// so moves are renames); <see cref="Commit"/> renames the staging folder into place (or, when the target already
/// exists, renames each file over its old version). Disposing without committing — a failure or Ctrl+C — deletes the
/// staging folder and any parent folders it had to create, so nothing is left behind.
/// </summary>
internal sealed class StagedFolder : IDisposable
{
    /// <summary>Staging folders neither committed nor disposed, for <see cref="AbandonAll"/>.</summary>
    private static readonly ConcurrentDictionary<StagedFolder, bool> Active = new();

    private readonly string? _createdAncestor;
    private bool _committed;

    private StagedFolder(string target, string staging, string? createdAncestor)
    {
        Target = target;
        Staging = staging;
        _createdAncestor = createdAncestor;
    }

    /// <summary>The folder the outputs end up in.</summary>
    public string Target { get; }

    /// <summary>The folder to write into until <see cref="Commit"/>.</summary>
    public string Staging { get; }

    /// <summary>Checks <paramref name="folder"/> can be written and creates its staging folder (the target itself is not touched yet).</summary>
    /// <exception cref="CliException">The target is a file, or its parent cannot be written.</exception>
    public static StagedFolder Create(string folder)
    {
        var target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(target))
        {
            throw new CliException(ExitCodes.OutputNotWritable, $"Output folder '{target}' is an existing file.");
        }

        var parent = Path.GetDirectoryName(target) ?? throw new CliException(ExitCodes.OutputNotWritable, $"Output folder '{target}' has no parent folder to stage in.");
        string? created = null;
        for (var ancestor = parent; ancestor is not null && !Directory.Exists(ancestor); ancestor = Path.GetDirectoryName(ancestor))
        {
            created = ancestor;
        }

        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.onnx-xai-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        OutputFiles.Guard(target, () => Directory.CreateDirectory(staging));
        if (Directory.Exists(target))
        {
            OutputFiles.PrepareFolder(target); // an existing target must be writable too: fail before computing
        }
        var stagedFolder = new StagedFolder(target, staging, created);
        Active[stagedFolder] = true;
        return stagedFolder;
    }

    /// <summary>
    /// Deletes every staging folder still open: called when the process is about to end without unwinding (a second
    /// Ctrl+C while a method that cannot be cancelled is still running), so that even then no partial output remains.
    /// </summary>
    public static void AbandonAll()
    {
        foreach (var staged in Active.Keys)
        {
            staged.Dispose();
        }
    }

    /// <summary>Moves the staged outputs into <see cref="Target"/>.</summary>
    public void Commit()
    {
        OutputFiles.Guard(Target, () =>
        {
            if (!Directory.Exists(Target))
            {
                Directory.Move(Staging, Target);
            }
            else
            {
                MoveInto(Staging, Target);
                Directory.Delete(Staging, recursive: true);
            }
        });
        _committed = true;
        Active.TryRemove(this, out _);
    }

    /// <summary>Deletes the staging folder (and the parents created for it) unless committed.</summary>
    public void Dispose()
    {
        Active.TryRemove(this, out _);
        if (_committed)
        {
            return;
        }

        try
        {
            if (Directory.Exists(Staging))
            {
                Directory.Delete(Staging, recursive: true);
            }

            if (_createdAncestor is not null && Directory.Exists(_createdAncestor) && !Directory.EnumerateFiles(_createdAncestor, "*", SearchOption.AllDirectories).Any())
            {
                Directory.Delete(_createdAncestor, recursive: true);
            }
        }
        catch (IOException)
        {
            // Clean-up is best effort: the original failure is what the user needs to see.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }

        _committed = true;
    }

    private static void MoveInto(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Move(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var folder in Directory.EnumerateDirectories(source))
        {
            MoveInto(folder, Path.Combine(target, Path.GetFileName(folder)));
        }
    }
}
