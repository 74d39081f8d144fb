using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.Explainability.ML.Composition;

/// <summary>
/// Composes an ML.NET transfer-learning pipeline (<c>DnnFeaturizeImage</c> with ResNet-18, then a linear multiclass
/// trainer such as <c>LbfgsMaximumEntropy</c> or SDCA) into a classifier whose logits can be explained.
/// </summary>
/// <remarks>
/// The graph pieces (chaining the preprocessing and network, appending the head) are the core's
/// <see cref="ModelComposition"/>; this class adds only what reads ML.NET objects.
/// </remarks>
public static class OnnxComposition
{
    /// <summary>
    /// The classifier of a fitted ML.NET transfer-learning pipeline <c>… → ExtractPixels → DnnFeaturizeImage (ResNet-18)
    /// → … → linear multiclass trainer</c> as one ONNX model: input [N, 3, 224, 224] (the pixels given to
    /// <c>DnnFeaturizeImage</c>), output <see cref="ModelComposition.LogitsOutput"/> [N, classes] whose arg-max is ML.NET's predicted
    /// class (output k is the predicted key k + 1). The trainer's features must be the featurizer's output unchanged.
    /// </summary>
    /// <param name="fittedPipeline">The fitted pipeline (its last linear multiclass predictor is used).</param>
    /// <param name="dnnImageModelsFolder">The <c>DnnImageModels</c> folder the ResNet-18 package copies next to the application; null: that folder under <see cref="AppContext.BaseDirectory"/>.</param>
    /// <exception cref="ArgumentException">The pipeline holds no linear multiclass predictor, or its feature count is not ResNet-18's 512.</exception>
    /// <exception cref="FileNotFoundException">The featurizer's ONNX files are missing.</exception>
    public static OnnxModel ResNet18Classifier(ITransformer fittedPipeline, string? dnnImageModelsFolder = null)
    {
        ArgumentNullException.ThrowIfNull(fittedPipeline);
        var head = FindHead(fittedPipeline)
            ?? throw new ArgumentException("The pipeline holds no linear multiclass predictor (LbfgsMaximumEntropy, SdcaMaximumEntropy, SdcaNonCalibrated…).", nameof(fittedPipeline));
        return ResNet18Classifier(head, dnnImageModelsFolder);
    }

    /// <summary>ResNet-18's preprocessing and network (as <c>DnnFeaturizeImage</c> runs them) followed by <paramref name="head"/>'s weights.</summary>
    /// <param name="head">A trained linear multiclass model over ResNet-18's 512 features.</param>
    /// <param name="dnnImageModelsFolder">The <c>DnnImageModels</c> folder; null: under <see cref="AppContext.BaseDirectory"/>.</param>
    public static OnnxModel ResNet18Classifier(LinearMulticlassModelParametersBase head, string? dnnImageModelsFolder = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        var folder = dnnImageModelsFolder ?? Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        var preprocess = OnnxModel.Load(Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        var network = OnnxModel.Load(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx"));
        var featurizer = ModelComposition.Chain(preprocess, network);
        var (weights, biases) = HeadWeights(head);
        if (weights.Length != biases.Length * 512)
        {
            throw new ArgumentException($"The predictor has {weights.Length / Math.Max(1, biases.Length)} features per class; ResNet-18 gives 512. The trainer's features must be DnnFeaturizeImage's output unchanged.", nameof(head));
        }

        return ModelComposition.AppendLinearHead(featurizer, network.OutputNames[0], weights, biases);
    }

    /// <summary>The weights [classes, F] (row-major, dense) and biases of a linear multiclass model.</summary>
    public static (float[] Weights, float[] Biases) HeadWeights(LinearMulticlassModelParametersBase head)
    {
        ArgumentNullException.ThrowIfNull(head);
        VBuffer<float>[] rows = [];
        head.GetWeights(ref rows, out int classes);
        var biases = head.GetBiases().ToArray();
        int features = rows.Length == 0 ? 0 : rows[0].Length;
        var weights = new float[classes * features];
        for (int k = 0; k < classes; k++)
        {
            rows[k].CopyTo(weights.AsSpan(k * features, features));
        }

        return (weights, biases);
    }

    /// <summary>The last linear multiclass predictor of a fitted pipeline, or null.</summary>
    public static LinearMulticlassModelParametersBase? FindHead(ITransformer fittedPipeline)
    {
        LinearMulticlassModelParametersBase? found = null;
        void Visit(ITransformer t)
        {
            if (t is IPredictionTransformer<LinearMulticlassModelParametersBase> predictor)
            {
                found = predictor.Model;
            }
            else if (t is IEnumerable<ITransformer> chain)
            {
                foreach (var inner in chain)
                {
                    Visit(inner);
                }
            }
        }

        Visit(fittedPipeline);
        return found;
    }
}
