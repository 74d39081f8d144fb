using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.ZooBenchmarks;

/// <summary>
/// The model zoo written by <c>eng/model-zoo/export_zoo.py</c> (the folder in <c>XAI_ZOO</c>) plus the NuGet ResNet-18
/// featurizer ("resnet18_featurizer", from the package restore), and the shared 224×224 batch of 8.
/// </summary>
public static class ZooModels
{
    public const string FolderVariable = "XAI_ZOO";
    public const string Featurizer = "resnet18_featurizer";
    public const int Batch = 8;
    public const int Size = 224;

    /// <summary>The zoo folder; throws when the variable is unset or the folder holds no model.</summary>
    public static string Folder
    {
        get
        {
            var folder = Environment.GetEnvironmentVariable(FolderVariable);
            if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder) || Directory.GetFiles(folder, "*.onnx").Length == 0)
            {
                throw new InvalidOperationException($"Set {FolderVariable} to the folder written by 'python3 eng/model-zoo/export_zoo.py <folder>' (now: '{folder}'); it must hold the .onnx files.");
            }

            return folder;
        }
    }

    /// <summary>Zoo names (file names without .onnx), the featurizer first; a subset with XAI_ZOO_MODELS=a,b.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            var all = Directory.GetFiles(Folder, "*.onnx").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal).Prepend(Featurizer).ToList();
            var subset = Environment.GetEnvironmentVariable("XAI_ZOO_MODELS");
            if (string.IsNullOrEmpty(subset))
            {
                return all;
            }

            var wanted = subset.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var missing = wanted.Except(all).ToArray();
            return missing.Length > 0 ? throw new InvalidOperationException($"Not in the zoo: {string.Join(", ", missing)}. Known: {string.Join(", ", all)}.") : wanted;
        }
    }

    public static string PathOf(string name) => name == Featurizer
        ? Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")
        : Path.Combine(Folder, name + ".onnx");

    public static OnnxModel Load(string name) => OnnxModel.Load(PathOf(name));

    /// <summary>Seeded random images; the featurizer takes 0..255 pixels, the torchvision models normalised ones.</summary>
    public static FloatTensor Input(string name)
    {
        var random = new Random(1);
        double scale = name == Featurizer ? 255 : 1;
        double shift = name == Featurizer ? 0 : -0.5;
        var data = new float[Batch * 3 * Size * Size];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() + shift) * scale * (name == Featurizer ? 1 : 4));
        }

        return new FloatTensor(data, Batch, 3, Size, Size);
    }

    /// <summary>
    /// The seed: one class per row for the [N, 1000] classifiers; the featurizer's [N, 512, 1, 1] output gets one
    /// feature per row as a given seed.
    /// </summary>
    public static FloatTensor Seed(string name)
    {
        var seed = name == Featurizer ? FloatTensor.Zeros(Batch, 512, 1, 1) : FloatTensor.Zeros(Batch, 1000);
        for (int row = 0; row < Batch; row++)
        {
            seed.Data[(row * seed.RowLength) + (row * 7)] = 1;
        }

        return seed;
    }

    /// <summary>The session settings of every measurement: 2 intra-op threads, all graph optimisations.</summary>
    public static ExecutionOptions Execution(int batchSize = Batch) => new() { BatchSize = batchSize, IntraOpThreads = 2, InterOpThreads = 1 };
}
