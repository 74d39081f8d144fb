using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.ML;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability;
using Microsoft.ML.Explainability.Lrp.Composites;

// Catalog extensions live in ML.NET's namespace, as ML.NET's own do: `using Microsoft.ML;` is enough.
namespace Microsoft.ML;

/// <summary>
/// Explain estimators on ML.NET's transforms catalog (<c>mlContext.Transforms</c>). ML.NET's catalogs keep their
/// environment internal, so device and batch options are passed explicitly.
/// </summary>
/// <example>
/// <code>
/// var pipeline = ml.Transforms.LoadImages("Image", imageFolder, "ImagePath")
///     .Append(ml.Transforms.ResizeImages("Image", 224, 224))
///     .Append(ml.Transforms.ExtractPixels("Pixels", "Image", scaleImage: 1f / 255))
///     .Append(ml.Transforms.ExplainGradCam(outputColumnName: "Saliency", inputColumnName: "Pixels",
///                                          modelFile: "model.onnx", targetLayer: null /* automatic */));
/// </code>
/// </example>
public static class ExplainCatalog
{
    /// <summary>Grad-CAM saliency maps [H, W] of an ONNX image classifier for each row's [C, H, W] pixels.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The saliency column.</param>
    /// <param name="inputColumnName">The pixel column ([C, H, W] floats, as ExtractPixels makes them).</param>
    /// <param name="modelFile">The ONNX model.</param>
    /// <param name="targetLayer">The target layer's tensor; null picks the last convolutional feature map.</param>
    /// <param name="targetColumnName">Optional class column (integer or key); null explains the predicted class.</param>
    /// <param name="batchSize">Rows per ONNX Runtime call.</param>
    /// <param name="gpuDeviceId">CUDA device, or null for the CPU.</param>
    /// <param name="fallbackToCpu">Run on the CPU when CUDA cannot be used; false (the default, as in ML.NET's <c>ApplyOnnxModel</c>) throws instead.</param>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidOnnxModelException">The model file is not a usable ONNX model.</exception>
    public static GradCamEstimator ExplainGradCam(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, string modelFile, string? targetLayer = null, string? targetColumnName = null, int batchSize = 32, int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GradCamEstimator(new GradCamEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ModelFile = modelFile,
            TargetLayer = targetLayer,
            TargetColumnName = targetColumnName,
            BatchSize = batchSize,
            GpuDeviceId = gpuDeviceId,
            FallbackToCpu = fallbackToCpu,
        });
    }

    /// <summary>Grad-CAM saliency maps [H, W] of an ONNX image classifier for each row's [C, H, W] pixels.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The saliency column.</param>
    /// <param name="inputColumnName">The pixel column ([C, H, W] floats, as ExtractPixels makes them).</param>
    /// <param name="modelStream">The ONNX model's bytes (read to the end when the estimator is made; not disposed).</param>
    /// <param name="targetLayer">The target layer's tensor; null picks the last convolutional feature map.</param>
    /// <param name="targetColumnName">Optional class column (integer or key); null explains the predicted class.</param>
    /// <param name="batchSize">Rows per ONNX Runtime call.</param>
    /// <param name="gpuDeviceId">CUDA device, or null for the CPU.</param>
    /// <param name="fallbackToCpu">Run on the CPU when CUDA cannot be used; false (the default, as in ML.NET's <c>ApplyOnnxModel</c>) throws instead.</param>
    /// <exception cref="InvalidOnnxModelException">The model file is not a usable ONNX model.</exception>
    public static GradCamEstimator ExplainGradCam(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, Stream modelStream, string? targetLayer = null, string? targetColumnName = null, int batchSize = 32, int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(modelStream);
        return new GradCamEstimator(new GradCamEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            Model = OnnxModel.Load(modelStream),
            TargetLayer = targetLayer,
            TargetColumnName = targetColumnName,
            BatchSize = batchSize,
            GpuDeviceId = gpuDeviceId,
            FallbackToCpu = fallbackToCpu,
        });
    }

    /// <summary>CAM saliency maps with every option (<see cref="GradCamEstimator.Options"/>).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options.</param>
    public static GradCamEstimator ExplainGradCam(this TransformsCatalog catalog, GradCamEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GradCamEstimator(options);
    }

    /// <summary>LRP relevance maps [H, W] (Σ over channels) of an ONNX image classifier.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The saliency column.</param>
    /// <param name="inputColumnName">The pixel column ([C, H, W] floats).</param>
    /// <param name="modelFile">The ONNX model.</param>
    /// <param name="composite">The LRP composite (an entry of <see cref="LrpComposites"/>); null: <see cref="LrpComposites.EpsilonPlus"/>.</param>
    /// <param name="targetColumnName">Optional class column (integer or key); null explains the predicted class.</param>
    /// <param name="batchSize">Rows per ONNX Runtime call.</param>
    /// <param name="gpuDeviceId">CUDA device, or null for the CPU.</param>
    /// <param name="fallbackToCpu">Run on the CPU when CUDA cannot be used; false (the default, as in ML.NET's <c>ApplyOnnxModel</c>) throws instead.</param>
    public static LrpEstimator ExplainLrp(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, string modelFile, LrpCompositeDescriptor? composite = null, string? targetColumnName = null, int batchSize = 32, int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new LrpEstimator(new LrpEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ModelFile = modelFile,
            Composite = composite ?? LrpComposites.EpsilonPlus,
            TargetColumnName = targetColumnName,
            BatchSize = batchSize,
            GpuDeviceId = gpuDeviceId,
            FallbackToCpu = fallbackToCpu,
        });
    }

    /// <summary>LRP relevance maps [H, W] (Σ over channels) of an ONNX image classifier.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The saliency column.</param>
    /// <param name="inputColumnName">The pixel column ([C, H, W] floats).</param>
    /// <param name="modelStream">The ONNX model's bytes (read to the end when the estimator is made; not disposed).</param>
    /// <param name="composite">The LRP composite (an entry of <see cref="LrpComposites"/>); null: <see cref="LrpComposites.EpsilonPlus"/>.</param>
    /// <param name="targetColumnName">Optional class column (integer or key); null explains the predicted class.</param>
    /// <param name="batchSize">Rows per ONNX Runtime call.</param>
    /// <param name="gpuDeviceId">CUDA device, or null for the CPU.</param>
    /// <param name="fallbackToCpu">Run on the CPU when CUDA cannot be used; false (the default, as in ML.NET's <c>ApplyOnnxModel</c>) throws instead.</param>
    public static LrpEstimator ExplainLrp(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, Stream modelStream, LrpCompositeDescriptor? composite = null, string? targetColumnName = null, int batchSize = 32, int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(modelStream);
        return new LrpEstimator(new LrpEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            Model = OnnxModel.Load(modelStream),
            Composite = composite ?? LrpComposites.EpsilonPlus,
            TargetColumnName = targetColumnName,
            BatchSize = batchSize,
            GpuDeviceId = gpuDeviceId,
            FallbackToCpu = fallbackToCpu,
        });
    }

    /// <summary>LRP with every option (<see cref="LrpEstimator.Options"/>).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options.</param>
    public static LrpEstimator ExplainLrp(this TransformsCatalog catalog, LrpEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new LrpEstimator(options);
    }

    /// <summary>Guided Backprop maps [H, W] (max |·| over channels) of an ONNX image classifier.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The saliency column.</param>
    /// <param name="inputColumnName">The pixel column ([C, H, W] floats).</param>
    /// <param name="modelFile">The ONNX model.</param>
    /// <param name="targetColumnName">Optional class column (integer or key); null explains the predicted class.</param>
    /// <param name="batchSize">Rows per ONNX Runtime call.</param>
    /// <param name="gpuDeviceId">CUDA device, or null for the CPU.</param>
    /// <param name="fallbackToCpu">Run on the CPU when CUDA cannot be used; false (the default, as in ML.NET's <c>ApplyOnnxModel</c>) throws instead.</param>
    public static GuidedBackpropEstimator ExplainGuidedBackprop(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, string modelFile, string? targetColumnName = null, int batchSize = 32, int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GuidedBackpropEstimator(new GuidedBackpropEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ModelFile = modelFile,
            TargetColumnName = targetColumnName,
            BatchSize = batchSize,
            GpuDeviceId = gpuDeviceId,
            FallbackToCpu = fallbackToCpu,
        });
    }

    /// <summary>Guided Backprop maps [H, W] (max |·| over channels) of an ONNX image classifier.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The saliency column.</param>
    /// <param name="inputColumnName">The pixel column ([C, H, W] floats).</param>
    /// <param name="modelStream">The ONNX model's bytes (read to the end when the estimator is made; not disposed).</param>
    /// <param name="targetColumnName">Optional class column (integer or key); null explains the predicted class.</param>
    /// <param name="batchSize">Rows per ONNX Runtime call.</param>
    /// <param name="gpuDeviceId">CUDA device, or null for the CPU.</param>
    /// <param name="fallbackToCpu">Run on the CPU when CUDA cannot be used; false (the default, as in ML.NET's <c>ApplyOnnxModel</c>) throws instead.</param>
    public static GuidedBackpropEstimator ExplainGuidedBackprop(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, Stream modelStream, string? targetColumnName = null, int batchSize = 32, int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(modelStream);
        return new GuidedBackpropEstimator(new GuidedBackpropEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            Model = OnnxModel.Load(modelStream),
            TargetColumnName = targetColumnName,
            BatchSize = batchSize,
            GpuDeviceId = gpuDeviceId,
            FallbackToCpu = fallbackToCpu,
        });
    }

    /// <summary>Guided Backprop with every option (<see cref="GuidedBackpropEstimator.Options"/>).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options.</param>
    public static GuidedBackpropEstimator ExplainGuidedBackprop(this TransformsCatalog catalog, GuidedBackpropEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GuidedBackpropEstimator(options);
    }

    /// <summary>Any method of the registry (<see cref="ExplainEstimator.Options.Method"/>, an entry of <see cref="ExplanationMethods"/>).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options.</param>
    public static ExplainEstimator Explain(this TransformsCatalog catalog, ExplainEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ExplainEstimator(options);
    }
}
