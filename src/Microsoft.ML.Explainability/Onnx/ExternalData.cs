using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// Reads tensors stored outside the model file into the model, refusing locations outside the model's folder.
/// </summary>
/// <remarks>
/// <para>Every tensor that can carry external data is checked: initializers, sparse initializers (values and
/// indices), attribute tensors (<c>t</c>, <c>tensors</c>, <c>sparse_tensor</c>, <c>sparse_tensors</c>) of every node of
/// the main graph, of nested graphs and of function bodies. None is left for ONNX Runtime to resolve on its own
/// (it would resolve them against the process's working folder).</para>
/// <para>Containment: a location is a relative path; its final target, after following every symbolic link on the
/// way (files and folders, as the operating system would), must be a file inside the model's folder or — when the
/// model file is itself a link, as in the Hugging Face cache layout (<c>snapshots/&lt;rev&gt;/model.onnx</c> →
/// <c>blobs/&lt;hash&gt;</c>) — inside the folder of the model file's final target. The bytes are read from that final
/// target, whose length is the opened file's length. A link to anywhere else (for example <c>/etc/passwd</c>) is
/// refused.</para>
/// <para>Fields: <c>offset</c> and <c>length</c> are non-negative decimal integers; a key given twice, a field that
/// does not parse, a range past the end of the file (checked without overflow), a length above
/// <see cref="Array.MaxLength"/> bytes, or a length that disagrees with the tensor's element type and dimensions is
/// refused. Every refusal is an <see cref="InvalidOnnxModelException"/> naming the tensor.</para>
/// </remarks>
internal static class ExternalData
{
    /// <summary>Symbolic links followed for one location before giving up (the Linux kernel's limit).</summary>
    private const int MaximumLinkHops = 40;

    /// <param name="model">The parsed model; its external tensors are replaced by raw data in place.</param>
    /// <param name="modelPath">The full path of the model file (as given: possibly a link).</param>
    /// <param name="origin">The model's description in messages.</param>
    public static void Inline(ModelProto model, string modelPath, string origin)
    {
        string? modelFolder = null;
        string? targetFolder = null;
        foreach (var (tensor, name) in ExternalTensors(model))
        {
            if (modelFolder is null)
            {
                modelFolder = RealPath(Path.GetDirectoryName(modelPath)!, origin, "the model's folder");
                targetFolder = Path.GetDirectoryName(RealPath(modelPath, origin, "the model file"))!;
            }

            InlineOne(tensor, name, modelFolder, targetFolder!, origin);
        }
    }

    public static void RejectWithoutFolder(ModelProto model)
    {
        foreach (var (_, name) in ExternalTensors(model))
        {
            throw new InvalidOnnxModelException($"Tensor '{name}' is stored as external data; load the model from its file so that the data can be found next to it.");
        }
    }

    private static void InlineOne(TensorProto tensor, string name, string modelFolder, string targetFolder, string origin)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in tensor.ExternalData)
        {
            if (!entries.TryAdd(entry.Key, entry.Value))
            {
                throw new InvalidOnnxModelException($"Tensor '{name}' of {origin} gives the external-data key '{entry.Key}' twice.");
            }
        }

        if (!entries.TryGetValue("location", out var location) || string.IsNullOrEmpty(location))
        {
            throw new InvalidOnnxModelException($"Tensor '{name}' of {origin} is stored externally but names no location.");
        }

        if (Path.IsPathRooted(location) || location.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidOnnxModelException($"Tensor '{name}' of {origin} names the external-data location '{location}'; only paths relative to the model's folder are accepted.");
        }

        var target = RealPath(Path.Combine(modelFolder, location), origin, $"the external data of tensor '{name}'");
        if (!IsInside(target, modelFolder) && !IsInside(target, targetFolder))
        {
            throw new InvalidOnnxModelException($"Tensor '{name}' of {origin} names the external-data location '{location}', whose final target '{target}' (links followed) escapes the model's folder '{modelFolder}'.");
        }

        if (!File.Exists(target))
        {
            throw new InvalidOnnxModelException($"Tensor '{name}' of {origin} refers to the missing external-data file '{target}' (location '{location}').");
        }

        long offset = ParseField(entries, "offset", name, origin) ?? 0;
        try
        {
            using var file = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            long fileLength = file.Length;
            if (offset > fileLength)
            {
                throw new InvalidOnnxModelException($"Tensor '{name}' of {origin}: external-data offset {offset} lies past the end of '{target}' ({fileLength} bytes).");
            }

            long length = ParseField(entries, "length", name, origin) ?? (fileLength - offset);
            if (length > fileLength - offset)
            {
                throw new InvalidOnnxModelException($"Tensor '{name}' of {origin}: external-data range of {length} bytes at offset {offset} lies outside '{target}' ({fileLength} bytes).");
            }

            if (length > Array.MaxLength)
            {
                throw new InvalidOnnxModelException($"Tensor '{name}' of {origin} holds {length} bytes of external data; tensors above {Array.MaxLength} bytes cannot be inlined.");
            }

            if (ExpectedBytes(tensor) is { } expected && expected != length)
            {
                throw new InvalidOnnxModelException($"Tensor '{name}' of {origin} has dimensions [{string.Join(", ", tensor.Dims)}] of element type {(TensorProto.Types.DataType)tensor.DataType} ({expected} bytes) but its external data holds {length} bytes.");
            }

            var data = new byte[length];
            file.Seek(offset, SeekOrigin.Begin);
            file.ReadExactly(data);
            tensor.RawData = ByteString.CopyFrom(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOnnxModelException($"Tensor '{name}' of {origin}: the external-data file '{target}' cannot be read: {e.Message}", e);
        }

        tensor.ExternalData.Clear();
        tensor.ClearDataLocation();
    }

    private static long? ParseField(Dictionary<string, string> entries, string key, string name, string origin)
    {
        if (!entries.TryGetValue(key, out var text))
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new InvalidOnnxModelException($"Tensor '{name}' of {origin} gives the external-data {key} '{text}'; it must be a non-negative decimal integer below 2^63.");
        }

        return value;
    }

    /// <summary>Bytes the tensor's dimensions and fixed-size element type need, or null when unknown (strings, bad dims, overflow).</summary>
    private static long? ExpectedBytes(TensorProto tensor)
    {
        int size = (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
            TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64 or TensorProto.Types.DataType.Complex64 => 8,
            TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 2,
            TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => 1,
            TensorProto.Types.DataType.Complex128 => 16,
            _ => 0,
        };
        if (size == 0)
        {
            return null;
        }

        long count = 1;
        foreach (var d in tensor.Dims)
        {
            if (d < 0 || (d > 0 && count > long.MaxValue / size / d))
            {
                return null;
            }

            count *= d;
        }

        return count * size;
    }

    private static bool IsInside(string path, string folder)
    {
        var withSeparator = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(withSeparator, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    /// <summary>
    /// The final path of <paramref name="path"/> as the operating system would open it: components are walked from the
    /// root, each symbolic link (file or folder) is replaced by its target, and ".." applies to the folder reached so far.
    /// Missing components are kept as they are (the caller then reports a missing file).
    /// </summary>
    internal static string RealPath(string path, string origin, string what)
    {
        var full = Path.IsPathRooted(path) ? path : Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var pending = new LinkedList<string>(Split(full[root.Length..]));
        var current = root;
        int hops = 0;
        while (pending.First is { } first)
        {
            var part = first.Value;
            pending.RemoveFirst();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var candidate = Path.Combine(current, part);
            string? link;
            try
            {
                link = Directory.Exists(candidate) ? new DirectoryInfo(candidate).LinkTarget : new FileInfo(candidate).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOnnxModelException($"Cannot resolve {what} of {origin} at '{candidate}': {e.Message}", e);
            }

            if (link is null)
            {
                current = candidate;
                continue;
            }

            if (++hops > MaximumLinkHops)
            {
                throw new InvalidOnnxModelException($"Cannot resolve {what} of {origin}: more than {MaximumLinkHops} symbolic links (a loop?) at '{candidate}'.");
            }

            // The target replaces the link: its components are walked before the rest of the path, from the root
            // for an absolute target, else from the folder holding the link.
            string[] components;
            if (Path.IsPathRooted(link))
            {
                current = Path.GetPathRoot(link)!;
                components = Split(link[current.Length..]);
            }
            else
            {
                components = Split(link);
            }

            for (int i = components.Length - 1; i >= 0; i--)
            {
                pending.AddFirst(components[i]);
            }
        }

        return current;
    }

    private static string[] Split(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Every tensor of the model stored as external data, with a name for messages (iterative: nesting is model-controlled).</summary>
    private static List<(TensorProto Tensor, string Name)> ExternalTensors(ModelProto model)
    {
        var nodes = new Stack<(NodeProto Node, string Where)>();
        var graphs = new Stack<(GraphProto Graph, string Where)>();
        var found = new List<(TensorProto, string)>();

        void Check(TensorProto? tensor, string fallback)
        {
            if (tensor is not null && tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External)
            {
                found.Add((tensor, tensor.Name.Length > 0 ? tensor.Name : fallback));
            }
        }

        void CheckSparse(SparseTensorProto? sparse, string fallback)
        {
            if (sparse is not null)
            {
                Check(sparse.Values, $"{fallback} (sparse values)");
                Check(sparse.Indices, $"{fallback} (sparse indices of '{sparse.Values?.Name}')");
            }
        }

        if (model.Graph is not null)
        {
            graphs.Push((model.Graph, "the main graph"));
        }

        foreach (var function in model.Functions)
        {
            foreach (var node in function.Node)
            {
                nodes.Push((node, $"function '{function.Name}'"));
            }
        }

        while (graphs.Count > 0 || nodes.Count > 0)
        {
            if (graphs.Count > 0)
            {
                var (graph, where) = graphs.Pop();
                foreach (var tensor in graph.Initializer)
                {
                    Check(tensor, $"initializer of {where}");
                }

                foreach (var sparse in graph.SparseInitializer)
                {
                    CheckSparse(sparse, $"sparse initializer of {where}");
                }

                foreach (var node in graph.Node)
                {
                    nodes.Push((node, where));
                }

                continue;
            }

            var (n, at) = nodes.Pop();
            foreach (var attribute in n.Attribute)
            {
                var label = $"attribute '{attribute.Name}' of node '{n.Name}' ({n.OpType}) in {at}";
                Check(attribute.T, label);
                foreach (var tensor in attribute.Tensors)
                {
                    Check(tensor, label);
                }

                CheckSparse(attribute.SparseTensor, label);
                foreach (var sparse in attribute.SparseTensors)
                {
                    CheckSparse(sparse, label);
                }

                if (attribute.G is { } g)
                {
                    graphs.Push((g, $"a subgraph of node '{n.Name}'"));
                }

                foreach (var sub in attribute.Graphs)
                {
                    graphs.Push((sub, $"a subgraph of node '{n.Name}'"));
                }
            }
        }

        return found;
    }
}
