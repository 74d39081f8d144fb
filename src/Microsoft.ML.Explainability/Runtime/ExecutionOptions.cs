using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>How ONNX Runtime runs an explanation: device, batch size and threads.</summary>
public sealed class ExecutionOptions
{
    /// <summary>CUDA device to run on, or null (the default) for the CPU.</summary>
    public int? GpuDeviceId { get; init; }

    /// <summary>When CUDA was asked for but cannot be used (no GPU, CPU-only runtime package), run on the CPU instead of throwing. Default true.</summary>
    public bool FallbackToCpu { get; init; } = true;

    /// <summary>Rows per ONNX Runtime call; larger inputs are split into batches of this size. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Threads used inside one operator; 0 (the default) lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads used across independent operators; 0 (the default) lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>ONNX Runtime's graph optimisation level. Default: all optimisations.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>The CPU defaults.</summary>
    public static ExecutionOptions Default { get; } = new();

    /// <summary>Checks the values before any session is made.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch size below 1, a negative thread count or a negative device id, naming the property.</exception>
    public void Validate()
    {
        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        }

        if (IntraOpThreads < 0 || InterOpThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), "Thread counts must be 0 (automatic) or positive.");
        }

        if (GpuDeviceId is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(GpuDeviceId), GpuDeviceId, "GpuDeviceId must be non-negative.");
        }
    }
}
