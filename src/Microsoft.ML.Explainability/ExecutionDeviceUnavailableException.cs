namespace Microsoft.ML.Explainability;

/// <summary>
/// The execution device asked for (a CUDA device) cannot be used — no GPU, a CPU-only ONNX Runtime package, a
/// driver mismatch — and <see cref="Runtime.ExecutionOptions.FallbackToCpu"/> is false, so nothing ran on the CPU
/// in its place. Thrown by every layer that creates ONNX Runtime sessions (<see cref="Runtime.SessionOptionsFactory"/>).
/// </summary>
public class ExecutionDeviceUnavailableException : ExplainabilityException
{
    /// <summary>Creates the exception for <paramref name="gpuDeviceId"/>.</summary>
    /// <param name="gpuDeviceId">The CUDA device asked for.</param>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">ONNX Runtime's error.</param>
    public ExecutionDeviceUnavailableException(int gpuDeviceId, string message, Exception innerException)
        : base(message, innerException)
    {
        GpuDeviceId = gpuDeviceId;
    }

    /// <summary>The CUDA device asked for.</summary>
    public int GpuDeviceId { get; }
}
