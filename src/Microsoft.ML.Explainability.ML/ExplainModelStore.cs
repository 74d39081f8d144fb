using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.ML;
using Microsoft.ML.Explainability.Onnx;

// Catalog extensions live in ML.NET's namespace, as ML.NET's own do: `using Microsoft.ML;` is enough.
namespace Microsoft.ML;

/// <summary>
/// Saves and loads ML.NET models that contain explain transformers.
/// </summary>
/// <remarks>
/// <para>
/// ML.NET's model format rebuilds each transformer through a loader registered inside ML.NET's own assemblies
/// (<c>LoadableClassAttribute</c>, <c>ModelLoadContext</c> are internal), so an outside assembly cannot make
/// <c>mlContext.Model.Load</c> rebuild its transformer; explain transformers therefore throw on
/// <c>mlContext.Model.Save</c>. This store writes one zip file instead:
/// </para>
/// <list type="bullet">
/// <item><c>manifest.json</c>: format name, version, and the chain's parts in order;</item>
/// <item>each run of ML.NET transformers as an ML.NET model file (<c>partN.mlnet.zip</c>, written and read by
/// ML.NET's own <c>Model.Save</c>/<c>Model.Load</c>; the first carries the input schema);</item>
/// <item>each explain transformer as <c>partN/model.onnx</c> (the exact model bytes, so the original file is no
/// longer needed) and <c>partN/settings.json</c> (versioned options).</item>
/// </list>
/// <para>
/// Loading rebuilds the same chain: ML.NET's transformers as ML.NET loads them and the explain transformers as they
/// were, batching included, so the loaded pipeline gives the same saliency, bit for bit, on the same runtime.
/// Nested chains are flattened.
/// </para>
/// </remarks>
public static class ExplainModelStore
{
    /// <summary>The format name written in the manifest.</summary>
    public const string FormatName = "Microsoft.ML.Explainability.ML.Model";

    /// <summary>The format version written (and the highest read).</summary>
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Saves <paramref name="model"/> (any chain of ML.NET and explain transformers) to a file.</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The fitted model.</param>
    /// <param name="inputSchema">The schema of the data the model is applied to (kept as ML.NET keeps it), or null.</param>
    /// <param name="filePath">The file written (a zip).</param>
    public static void SaveWithExplainers(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, string filePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        using var file = File.Create(filePath);
        catalog.SaveWithExplainers(model, inputSchema, file);
    }

    /// <summary>Saves <paramref name="model"/> (any chain of ML.NET and explain transformers) to a stream.</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The fitted model.</param>
    /// <param name="inputSchema">The schema of the data the model is applied to, or null.</param>
    /// <param name="stream">The stream written (a zip).</param>
    public static void SaveWithExplainers(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        var flat = new List<ITransformer>();
        Flatten(model, flat);

        // Runs of ML.NET transformers become one ML.NET model each; a leading empty run carries the input schema.
        var parts = new List<object>();
        var run = new List<ITransformer>();
        foreach (var transformer in flat)
        {
            if (transformer is ExplainTransformerBase explain)
            {
                parts.Add(run.ToArray());
                run.Clear();
                parts.Add(explain);
            }
            else
            {
                run.Add(transformer);
            }
        }

        if (run.Count > 0)
        {
            parts.Add(run.ToArray());
        }

        var manifest = new Manifest { Format = FormatName, Version = FormatVersion };
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        bool first = true;
        for (int i = 0; i < parts.Count; i++)
        {
            if (parts[i] is ITransformer[] transformers)
            {
                if (transformers.Length == 0 && !first)
                {
                    continue;
                }

                var entry = $"part{i}.mlnet.zip";
                using var buffer = new MemoryStream();
                catalog.Save(new TransformerChain<ITransformer>(transformers), first ? inputSchema : null, buffer);
                Write(zip, entry, buffer.ToArray());
                manifest.Parts!.Add(new Part { Kind = "mlnet", Entry = entry });
            }
            else
            {
                var explain = (ExplainTransformerBase)parts[i];
                var folder = $"part{i}";
                Write(zip, folder + "/model.onnx", explain.Model.ToBytes());
                Write(zip, folder + "/settings.json", Encoding.UTF8.GetBytes(explain.Settings.ToJson()));
                manifest.Parts!.Add(new Part { Kind = "explain", Entry = folder });
            }

            first = false;
        }

        Write(zip, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(manifest, Indented));
    }

    /// <summary>Loads a model saved by <see cref="SaveWithExplainers(ModelOperationsCatalog, ITransformer, DataViewSchema, string)"/>, within <see cref="ExplainLimits.Default"/>.</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="filePath">The file.</param>
    /// <param name="inputSchema">The input schema saved with the model (null if none was given).</param>
    /// <returns>A chain of the ML.NET parts and explain transformers, in the saved order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a model saved by this store, is damaged, or holds settings outside the limits.</exception>
    public static TransformerChain<ITransformer> LoadWithExplainers(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema? inputSchema) =>
        catalog.LoadWithExplainers(filePath, ExplainLimits.Default, out inputSchema);

    /// <summary>Loads a model saved by <see cref="SaveWithExplainers(ModelOperationsCatalog, ITransformer, DataViewSchema, string)"/>, within the given limits.</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="filePath">The file.</param>
    /// <param name="limits">The bounds the saved settings and the zip's entries must respect (see <see cref="ExplainLimits"/>).</param>
    /// <param name="inputSchema">The input schema saved with the model (null if none was given).</param>
    /// <returns>A chain of the ML.NET parts and explain transformers, in the saved order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a model saved by this store, is damaged, or holds settings outside the limits.</exception>
    public static TransformerChain<ITransformer> LoadWithExplainers(this ModelOperationsCatalog catalog, string filePath, ExplainLimits limits, out DataViewSchema? inputSchema)
    {
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        if (!File.Exists(filePath))
        {
            throw new FileNotFoundException($"Model file '{Path.GetFullPath(filePath)}' does not exist.", filePath);
        }

        using var file = File.OpenRead(filePath);
        return catalog.LoadWithExplainers(file, limits, out inputSchema);
    }

    /// <summary>Loads a model saved by <see cref="SaveWithExplainers(ModelOperationsCatalog, ITransformer, DataViewSchema, Stream)"/> from a stream, within <see cref="ExplainLimits.Default"/>.</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="stream">The stream (read to its end).</param>
    /// <param name="inputSchema">The input schema saved with the model (null if none was given).</param>
    /// <exception cref="InvalidDataException">The stream does not hold a model saved by this store, is damaged, or holds settings outside the limits.</exception>
    public static TransformerChain<ITransformer> LoadWithExplainers(this ModelOperationsCatalog catalog, Stream stream, out DataViewSchema? inputSchema) =>
        catalog.LoadWithExplainers(stream, ExplainLimits.Default, out inputSchema);

    /// <summary>
    /// Loads a model saved by <see cref="SaveWithExplainers(ModelOperationsCatalog, ITransformer, DataViewSchema, Stream)"/>
    /// from a stream, treating it as untrusted input: each zip entry's size is checked against
    /// <paramref name="limits"/> before it is read (and again while it inflates, since a zip can misstate sizes), the
    /// manifest's structure is checked, and each explain transformer's settings go through the same validation as
    /// fresh options (<see cref="ExplainOptionsBase.Limits"/>).
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="stream">The stream (read to its end).</param>
    /// <param name="limits">The bounds the saved settings and the zip's entries must respect.</param>
    /// <param name="inputSchema">The input schema saved with the model (null if none was given).</param>
    /// <exception cref="InvalidDataException">
    /// The stream does not hold a model saved by this store, is damaged, an entry exceeds its size limit, or a setting is
    /// missing or outside the limits (the message names the entry and the setting). Every failure caused by the
    /// stream's content is this type; the inner exception, if any, is the original error.
    /// </exception>
    public static TransformerChain<ITransformer> LoadWithExplainers(this ModelOperationsCatalog catalog, Stream stream, ExplainLimits limits, out DataViewSchema? inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Check();
        inputSchema = null;
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            throw new InvalidDataException($"Not a model saved by SaveWithExplainers (not a zip file): {e.Message}", e);
        }

        var transformers = new List<ITransformer>();
        try
        {
            using (zip)
            {
                var manifest = ReadManifest(zip, limits);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (int i = 0; i < manifest.Parts!.Count; i++)
                {
                    var part = manifest.Parts[i] ?? throw new InvalidDataException($"The model's manifest.json lists part {i} as null.");
                    if (string.IsNullOrEmpty(part.Entry) || !seen.Add(part.Entry))
                    {
                        throw new InvalidDataException($"The model's manifest.json part {i} has {(string.IsNullOrEmpty(part.Entry) ? "no entry name" : $"the entry '{part.Entry}' of an earlier part")}.");
                    }

                    if (part.Kind == "mlnet")
                    {
                        var bytes = Read(zip, part.Entry, limits.MaxPartBytes, nameof(limits.MaxPartBytes)) ?? throw new InvalidDataException($"The model lacks its part '{part.Entry}'.");
                        var loaded = LoadMlNet(catalog, bytes, part.Entry, out var schema);
                        if (i == 0)
                        {
                            inputSchema = schema;
                        }

                        transformers.Add(loaded);
                    }
                    else if (part.Kind == "explain")
                    {
                        var json = Read(zip, part.Entry + "/settings.json", limits.MaxSettingsBytes, nameof(limits.MaxSettingsBytes)) ?? throw new InvalidDataException($"The model lacks '{part.Entry}/settings.json'.");
                        var settings = ReadSettings(json, part.Entry, limits);
                        var onnx = Read(zip, part.Entry + "/model.onnx", limits.MaxPartBytes, nameof(limits.MaxPartBytes)) ?? throw new InvalidDataException($"The model lacks '{part.Entry}/model.onnx'.");
                        transformers.Add(CreateExplainer(settings, onnx, part.Entry));
                    }
                    else
                    {
                        throw new InvalidDataException($"The model has a part of unknown kind '{part.Kind}'.");
                    }
                }
            }
        }
        catch (Exception e)
        {
            foreach (var transformer in transformers.OfType<IDisposable>())
            {
                transformer.Dispose();
            }

            if (e is InvalidDataException)
            {
                throw;
            }

            if (e is IOException)
            {
                throw new InvalidDataException($"The saved model cannot be read (damaged or truncated zip): {e.Message}", e);
            }

            throw;
        }

        return new TransformerChain<ITransformer>([.. transformers]);
    }

    /// <summary>The manifest, its structure checked (format, version, a parts list).</summary>
    private static Manifest ReadManifest(ZipArchive zip, ExplainLimits limits)
    {
        var bytes = Read(zip, "manifest.json", limits.MaxSettingsBytes, nameof(limits.MaxSettingsBytes))
            ?? throw new InvalidDataException("Not a model saved by SaveWithExplainers: it has no manifest.json (an ML.NET model without explain transformers loads with mlContext.Model.Load).");
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(bytes);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The model's manifest.json is not valid: {e.Message}", e);
        }

        if (manifest is null || manifest.Format != FormatName || manifest.Version < 1 || manifest.Version > FormatVersion)
        {
            throw new InvalidDataException($"The model's manifest names format '{manifest?.Format}' version {manifest?.Version}; this library reads '{FormatName}' versions 1 to {FormatVersion}.");
        }

        if (manifest.Parts is null)
        {
            throw new InvalidDataException("The model's manifest.json has no 'Parts' list (it is null).");
        }

        return manifest;
    }

    /// <summary>A settings.json parsed and checked by the same validation as fresh options.</summary>
    private static ExplainSettings ReadSettings(byte[] json, string entry, ExplainLimits limits)
    {
        ExplainSettings settings;
        try
        {
            settings = ExplainSettings.FromJson(Encoding.UTF8.GetString(json));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{entry}/settings.json': {e.Message}", e);
        }

        try
        {
            ExplainSettingsValidator.Validate(settings, limits);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{entry}/settings.json' is not valid: {e.Message}", e);
        }

        return settings;
    }

    /// <summary>An ML.NET part, its loading failures (of any type ML.NET throws) reported as damaged content.</summary>
    private static ITransformer LoadMlNet(ModelOperationsCatalog catalog, byte[] bytes, string entry, out DataViewSchema schema)
    {
        using var buffer = new MemoryStream(bytes, writable: false);
        try
        {
            return catalog.Load(buffer, out schema);
        }
        catch (Exception e) when (IsContentError(e))
        {
            throw new InvalidDataException($"The model's ML.NET part '{entry}' cannot be loaded by ML.NET: {e.Message}", e);
        }
    }

    /// <summary>An explain transformer from its ONNX bytes and checked settings; a model that does not fit the settings is damaged content.</summary>
    private static ExplainTransformerBase CreateExplainer(ExplainSettings settings, byte[] onnx, string entry)
    {
        try
        {
            return ExplainTransformerBase.Create(settings, OnnxModel.Load(onnx));
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e) when (IsContentError(e))
        {
            throw new InvalidDataException($"The model's explain part '{entry}' cannot be rebuilt: {e.Message}", e);
        }
    }

    /// <summary>Whether an exception describes the content being loaded (as opposed to the process running out of memory or being cancelled).</summary>
    private static bool IsContentError(Exception e) => e is not (OutOfMemoryException or OperationCanceledException or ThreadInterruptedException);

    private static void Flatten(ITransformer transformer, List<ITransformer> into)
    {
        if (transformer is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
            {
                Flatten(inner, into);
            }
        }
        else
        {
            into.Add(transformer);
        }
    }

    private static void Write(ZipArchive zip, string name, byte[] bytes)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
        using var target = entry.Open();
        target.Write(bytes);
    }

    /// <summary>
    /// An entry's bytes, or null when absent. The size the zip declares is checked against <paramref name="cap"/>
    /// before anything is read, and the inflated bytes are counted as they come, so an entry that misstates its size
    /// (a zip bomb) stops at the cap instead of filling memory.
    /// </summary>
    private static byte[]? Read(ZipArchive zip, string name, long cap, string limit)
    {
        var entry = zip.GetEntry(name);
        if (entry is null)
        {
            return null;
        }

        cap = Math.Min(cap, Array.MaxLength);
        if (entry.Length > cap)
        {
            throw new InvalidDataException($"The model's entry '{name}' declares {entry.Length} bytes uncompressed; the limit is {cap} (ExplainLimits.{limit}).");
        }

        using var source = entry.Open();
        using var buffer = new MemoryStream((int)Math.Min(entry.Length, 1 << 20));
        var chunk = new byte[81920];
        int read;
        while ((read = source.Read(chunk)) > 0)
        {
            if (buffer.Length + read > cap)
            {
                throw new InvalidDataException($"The model's entry '{name}' inflates past {cap} bytes although it declares {entry.Length}; the limit is {cap} (ExplainLimits.{limit}).");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private sealed class Manifest
    {
        public string Format { get; set; } = "";

        public int Version { get; set; }

        public List<Part?>? Parts { get; set; } = [];
    }

    private sealed class Part
    {
        public string? Kind { get; set; } = "";

        public string? Entry { get; set; } = "";
    }
}
