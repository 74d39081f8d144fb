using Microsoft.ML.Explainability.Attribution;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// The upper bounds an explain transformer's settings must respect, checked both when an estimator is made from
/// options and when <see cref="ExplainModelStore"/> loads a saved pipeline (a saved file is input, so it gets the same
/// checks). Each bound guards a resource a careless or hostile value would exhaust: threads, memory per batch, the
/// quadrature set-up time of integrated gradients, and the memory used to read a saved pipeline. Raise a bound
/// explicitly with a copy, e.g. <c>ExplainLimits.Default with { MaxSteps = 8192 }</c>, passed as
/// <see cref="ExplainOptionsBase.Limits"/> or to
/// <see cref="ExplainModelStore.LoadWithExplainers(ModelOperationsCatalog, Stream, ExplainLimits, out DataViewSchema)"/>.
/// </summary>
public sealed record ExplainLimits
{
    /// <summary>The limits used when none are given.</summary>
    public static ExplainLimits Default { get; } = new();

    /// <summary>Largest <see cref="ExplainOptionsBase.BatchSize"/> (rows per ONNX Runtime call). Default 4,096.</summary>
    public int MaxBatchSize { get; init; } = 4096;

    /// <summary>Largest <see cref="ExplainOptionsBase.IntraOpThreads"/>. Default 256 (a thread pool per session of that size is already far above any CPU's cores).</summary>
    public int MaxIntraOpThreads { get; init; } = 256;

    /// <summary>
    /// Largest number of integrated-gradients quadrature points (<see cref="ExplainEstimator.Options.Steps"/>). Default
    /// <see cref="IntegratedGradientsOptions.DefaultMaxSteps"/>: Gauss–Legendre set-up costs O(n²).
    /// </summary>
    public int MaxSteps { get; init; } = IntegratedGradientsOptions.DefaultMaxSteps;

    /// <summary>Largest number of SmoothGrad-family noisy samples per row (<see cref="ExplainEstimator.Options.Samples"/>). Default 10,000.</summary>
    public int MaxSamples { get; init; } = 10_000;

    /// <summary>Largest uncompressed size of a saved pipeline's <c>manifest.json</c> or a <c>settings.json</c>, in bytes. Default 1 MiB.</summary>
    public long MaxSettingsBytes { get; init; } = 1L << 20;

    /// <summary>
    /// Largest uncompressed size of a saved pipeline's ONNX model or ML.NET part, in bytes. Default 2 GiB − 1 (the
    /// protobuf limit of an ONNX file without external data).
    /// </summary>
    public long MaxPartBytes { get; init; } = int.MaxValue;

    /// <summary>Checks the limits themselves (every bound positive).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not positive.</exception>
    internal void Check()
    {
        if (MaxBatchSize < 1 || MaxIntraOpThreads < 1 || MaxSteps < 1 || MaxSamples < 1 || MaxSettingsBytes < 1 || MaxPartBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ExplainLimits), "Every limit must be positive.");
        }
    }
}
