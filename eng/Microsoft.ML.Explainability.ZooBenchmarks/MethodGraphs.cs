using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Canonizers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.ZooBenchmarks;

/// <summary>
/// The graphs the library runs for each measured method, built as the explainers build them, for the profiler: the
/// prepared forward model, the backward to Grad-CAM's automatic layer, to the input (saliency), with the Guided
/// Backprop ReLU rule, LRP EpsilonPlus (BatchNormalization folded, the composite's registry), Shapley-CAM's backward
/// plus Hessian-vector product at the automatic layer, and Grad-CAM over two layers (<see cref="TwoLayers"/>) in one
/// backward pass.
/// </summary>
public static class MethodGraphs
{
    public static readonly string[] Methods = ["forward", "gradcam", "saliency", "guided", "lrp", "shapley", "gradcam2"];

    /// <summary>
    /// The two layers of the multi-layer Grad-CAM rows: the last candidate layer whose grid is finer than the automatic
    /// layer's (the previous stage of a CNN), then the automatic layer. Only the automatic one when no finer grid exists.
    /// </summary>
    public static IReadOnlyList<string> TwoLayers(OnnxModel model)
    {
        var automatic = TargetLayers.Automatic(model);
        var finer = TargetLayers.List(model).LastOrDefault(l => l.Layout == automatic.Layout && l.Height > automatic.Height && l.Width > automatic.Width);
        return finer is null ? [automatic.Name] : [finer.Name, automatic.Name];
    }

    public static GradientModel? Build(OnnxModel model, string method, bool givenSeed, ModelShapes? shapes = null)
    {
        var prepared = GradientModel.Prepare(model);
        string input = prepared.InputNames[0];
        string output = prepared.OutputNames[0];
        var seed = givenSeed ? SeedKind.Given : SeedKind.OneHotTarget;
        switch (method)
        {
            case "forward":
                return null;
            case "gradcam":
                var layer = TargetLayers.Automatic(model).Name;
                return GradientModel.Build(prepared, new GradientRequest { Output = output, Seed = seed, WithRespectTo = [layer], Activations = [layer], Shapes = shapes });
            case "saliency":
                return GradientModel.Build(prepared, new GradientRequest { Output = output, Seed = seed, WithRespectTo = [input], Shapes = shapes });
            case "guided":
                return GradientModel.Build(prepared, new GradientRequest { Output = output, Seed = seed, WithRespectTo = [input], Rules = ModifiedReluRules.WithGuidedBackprop(), Shapes = shapes });
            case "lrp":
                var folded = LrpCanonizers.FoldBatchNormalization(prepared).Model;
                return GradientModel.Build(folded, new GradientRequest { Output = output, Seed = seed, WithRespectTo = [input], Rules = LrpComposite.EpsilonPlus().CreateRegistry(folded) });
            case "shapley":
                var hvpLayer = TargetLayers.Automatic(model).Name;
                return GradientModel.Build(prepared, new GradientRequest { Output = output, Seed = seed, WithRespectTo = [hvpLayer], Activations = [hvpLayer], HessianVectorProducts = [new HessianVectorProduct(hvpLayer)], Shapes = shapes });
            case "gradcam2":
                string[] layers = [.. TwoLayers(model)];
                return GradientModel.Build(prepared, new GradientRequest { Output = output, Seed = seed, WithRespectTo = layers, Activations = layers, Shapes = shapes });
            default:
                throw new ArgumentException($"Unknown method '{method}'; one of {string.Join(", ", Methods)}.", nameof(method));
        }
    }
}
