using System.IO.Compression;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Infrastructure;

/// <summary>Paths of the bundled fixture models and the Fashion-MNIST sample.</summary>
internal static class TestAssets
{
    public static string ModelPath(string fileName) => Path.Combine(AppContext.BaseDirectory, "assets", "models", fileName);

    public static readonly string[] FixtureModels = ["fmnist_cnn.onnx", "fmnist_resnet.onnx", "fmnist_mobilenet.onnx", "fmnist_deit.onnx"];

    /// <summary>The CNTK ResNet-18 featurizer shipped by the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (copied next to the tests by its build targets).</summary>
    public static string ResNet18Path => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    public const float Mean = 0.2860f;
    public const float Std = 0.3530f;

    /// <summary>Raw Fashion-MNIST test pixels (0–255), [count, 28, 28] flattened, and their labels.</summary>
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

    /// <summary>A normalised [count, 1, 28, 28] batch of the first test images, as the fixture models expect.</summary>
    public static FloatTensor FashionMnistBatch(int count, int offset = 0)
    {
        var (images, _) = FashionMnist(offset + count);
        var data = new float[count * 784];
        for (int i = 0; i < count; i++)
        {
            for (int p = 0; p < 784; p++)
            {
                data[(i * 784) + p] = ((images[offset + i][p] / 255f) - Mean) / Std;
            }
        }

        return new FloatTensor(data, count, 1, 28, 28);
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
