using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>Reads tensors stored outside the model file into the model, refusing locations outside the model's folder.</summary>
internal static class ExternalData
{
    public static void Inline(ModelProto model, string folder, string origin)
    {
        var root = Path.GetFullPath(folder);
        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        foreach (var tensor in AllTensors(model.Graph).Where(IsExternal))
        {
            var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            if (!entries.TryGetValue("location", out var location) || string.IsNullOrEmpty(location))
            {
                throw new InvalidOnnxModelException($"Tensor '{tensor.Name}' of {origin} is stored externally but names no location.");
            }

            if (Path.IsPathRooted(location))
            {
                throw new InvalidOnnxModelException($"Tensor '{tensor.Name}' of {origin} names the absolute external-data location '{location}'; only paths relative to the model's folder are accepted.");
            }

            var fullPath = Path.GetFullPath(Path.Combine(root, location));
            if (!fullPath.StartsWith(rootWithSeparator, StringComparison.Ordinal))
            {
                throw new InvalidOnnxModelException($"Tensor '{tensor.Name}' of {origin} names the external-data location '{location}', which escapes the model's folder '{root}'.");
            }

            if (!File.Exists(fullPath))
            {
                throw new InvalidOnnxModelException($"Tensor '{tensor.Name}' of {origin} refers to the missing external-data file '{fullPath}'.");
            }

            long offset = entries.TryGetValue("offset", out var o) ? long.Parse(o, System.Globalization.CultureInfo.InvariantCulture) : 0;
            long fileLength = new FileInfo(fullPath).Length;
            long length = entries.TryGetValue("length", out var l) ? long.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : fileLength - offset;
            if (offset < 0 || length < 0 || offset + length > fileLength)
            {
                throw new InvalidOnnxModelException($"Tensor '{tensor.Name}' of {origin}: external data range [{offset}, {offset + length}) lies outside '{fullPath}' ({fileLength} bytes).");
            }

            var data = new byte[length];
            using (var file = File.OpenRead(fullPath))
            {
                file.Seek(offset, SeekOrigin.Begin);
                file.ReadExactly(data);
            }

            tensor.RawData = ByteString.CopyFrom(data);
            tensor.ExternalData.Clear();
            tensor.ClearDataLocation();
        }
    }

    public static void RejectWithoutFolder(ModelProto model)
    {
        var external = AllTensors(model.Graph).FirstOrDefault(IsExternal);
        if (external is not null)
        {
            throw new InvalidOnnxModelException($"Tensor '{external.Name}' is stored as external data; load the model from its file so that the data can be found next to it.");
        }
    }

    private static bool IsExternal(TensorProto tensor) => tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External;

    private static IEnumerable<TensorProto> AllTensors(GraphProto graph)
    {
        foreach (var tensor in graph.Initializer)
        {
            yield return tensor;
        }

        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is not null)
                {
                    yield return attribute.T;
                }

                foreach (var tensor in attribute.Tensors)
                {
                    yield return tensor;
                }

                foreach (var subgraph in attribute.Graphs.Append(attribute.G).OfType<GraphProto>())
                {
                    foreach (var tensor in AllTensors(subgraph))
                    {
                        yield return tensor;
                    }
                }
            }
        }
    }
}
