using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>
/// ONNX Runtime session options from <see cref="ExecutionOptions"/>: optimisation level, thread counts, error-only
/// logging, and the CUDA provider with fall-back to the CPU. Shared by <see cref="GradientSession"/> and the
/// explainers' forward-only sessions so both run under the same settings.
/// </summary>
internal static class SessionOptionsFactory
{
    /// <summary>Creates the options (the caller disposes them).</summary>
    /// <param name="options">The execution options.</param>
    /// <param name="provider">"CUDAExecutionProvider" or "CPUExecutionProvider".</param>
    /// <param name="fallbackReason">Why CUDA was not used although asked for, or null.</param>
    /// <exception cref="ExplainabilityException">CUDA was asked for, cannot be used, and <see cref="ExecutionOptions.FallbackToCpu"/> is false.</exception>
    public static SessionOptions Create(ExecutionOptions options, out string provider, out string? fallbackReason)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.OptimizationLevel,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (options.IntraOpThreads > 0)
        {
            sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        }

        if (options.InterOpThreads > 0)
        {
            sessionOptions.InterOpNumThreads = options.InterOpThreads;
        }

        provider = "CPUExecutionProvider";
        fallbackReason = null;
        if (options.GpuDeviceId is { } device)
        {
            try
            {
                sessionOptions.AppendExecutionProvider_CUDA(device);
                provider = "CUDAExecutionProvider";
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                if (!options.FallbackToCpu)
                {
                    sessionOptions.Dispose();
                    throw new ExplainabilityException($"CUDA device {device} was requested but cannot be used ({e.Message}), and FallbackToCpu is false.", e);
                }

                fallbackReason = $"CUDA device {device} unavailable: {e.Message}";
            }
        }

        return sessionOptions;
    }
}
