using System.IO.Compression;
using Microsoft.ML.Explainability.ML.Composition;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using SkiaSharp;

namespace Microsoft.ML.Explainability.ML.Tests;

/// <summary>One image file and its label, as a pipeline reads them.</summary>
public sealed class ImageRow
{
    /// <summary>The file name, relative to the image folder.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>The Fashion-MNIST class.</summary>
    public int Label { get; set; }
}

/// <summary>The bundled fixture model and Fashion-MNIST sample (the core tests' TestAssets logic), PNG files and a 224×224 fixture model.</summary>
internal static class TestData
{
    public const float Mean = 0.2860f;
    public const float Std = 0.3530f;

    public static string CnnPath => Path.Combine(AppContext.BaseDirectory, "assets", "models", "fmnist_cnn.onnx");

    /// <summary>Raw Fashion-MNIST test pixels (0–255), [count][784], and their labels.</summary>
    public static (byte[][] Images, byte[] Labels) FashionMnist(int count)
    {
        var images = ReadIdx(Path.Combine(AppContext.BaseDirectory, "assets", "data", "fashion-mnist-t10k-1000-images-idx3-ubyte.gz"), 0x803);
        var labels = ReadIdx(Path.Combine(AppContext.BaseDirectory, "assets", "data", "fashion-mnist-t10k-1000-labels-idx1-ubyte.gz"), 0x801);
        var result = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            result[i] = images.AsSpan(16 + (i * 784), 784).ToArray();
        }

        return (result, labels.AsSpan(8, count).ToArray());
    }

    /// <summary>A fresh temporary folder.</summary>
    public static string TempFolder(string name)
    {
        var folder = Path.Combine(Path.GetTempPath(), "xai-ml-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Writes the chosen Fashion-MNIST images as 28×28 grey PNGs (R = G = B) named 000.png, 001.png…; returns the rows.</summary>
    public static ImageRow[] WritePngs(string folder, IReadOnlyList<int> indices)
    {
        var (images, labels) = FashionMnist(indices.Max() + 1);
        var rows = new ImageRow[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            var name = $"{i:D3}.png";
            WritePng(Path.Combine(folder, name), images[indices[i]]);
            rows[i] = new ImageRow { ImagePath = name, Label = labels[indices[i]] };
        }

        return rows;
    }

    public static ImageRow[] WritePngs(string folder, int count) => WritePngs(folder, Enumerable.Range(0, count).ToArray());

    public static void WritePng(string path, byte[] pixels)
    {
        using var bitmap = new SKBitmap(28, 28, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                byte v = pixels[(y * 28) + x];
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>
    /// The fixture CNN behind an adapter for 224×224 RGB pixels in [0, 1]: one 8×8 stride-8 convolution averages the
    /// three channels and each 8×8 cell back to 28×28 and applies the Fashion-MNIST normalisation.
    /// </summary>
    public static OnnxModel Cnn224()
    {
        var graph = new GraphProto { Name = "adapter" };
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (var d in new long[] { 3, 224, 224 })
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        graph.Input.Add(new ValueInfoProto { Name = "image", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
        var weights = Enumerable.Repeat(1f / (3 * 64 * Std), 3 * 64).ToArray();
        graph.Initializer.Add(TensorProtos.Float("w", [1, 3, 8, 8], weights));
        graph.Initializer.Add(TensorProtos.Float("b", [1], [-Mean / Std]));
        graph.Node.Add(new NodeProto
        {
            OpType = "Conv",
            Name = "downsample",
            Input = { "image", "w", "b" },
            Output = { "gray" },
            Attribute =
            {
                new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 8, 8 } },
                new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 8, 8 } },
            },
        });
        graph.Output.Add(new ValueInfoProto { Name = "gray" });
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        using var buffer = new MemoryStream();
        Google.Protobuf.MessageExtensions.WriteTo(model, buffer);
        return ModelComposition.Chain(OnnxModel.Load(buffer.ToArray()), OnnxModel.Load(CnnPath));
    }

    private static byte[] ReadIdx(string path, int magic)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        var bytes = memory.ToArray();
        int found = (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
        if (found != magic)
        {
            throw new InvalidDataException($"{path}: magic {found:X} instead of {magic:X}");
        }

        return bytes;
    }
}
