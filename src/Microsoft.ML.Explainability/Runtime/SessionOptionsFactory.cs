using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>
/// The one place ONNX Runtime sessions are configured, used by the core's explainers, the ML.NET transformers, the
/// evaluation harness's <c>ModelScorer</c> and the command line: <see cref="ExecutionOptions.OptimizationLevel"/>,
/// intra- and inter-op thread counts, error-only logging, and the CUDA provider (float32 convolutions: TF32 off) with one
/// fall-back behaviour — when
/// CUDA is asked for but cannot be used (when the provider is appended or when the session is created), the session
/// runs on the CPU if <see cref="ExecutionOptions.FallbackToCpu"/> is true, else
/// <see cref="ExecutionDeviceUnavailableException"/> is thrown.
/// </summary>
public static class SessionOptionsFactory
{
    /// <summary>ONNX Runtime's name of the CUDA provider.</summary>
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>ONNX Runtime's name of the CPU provider.</summary>
    public const string CpuProvider = "CPUExecutionProvider";

    /// <summary>Creates the session options (the caller disposes them).</summary>
    /// <param name="options">The execution options.</param>
    /// <param name="provider"><see cref="CudaProvider"/> or <see cref="CpuProvider"/>.</param>
    /// <param name="fallbackReason">Why CUDA was not used although asked for, or null.</param>
    /// <exception cref="ExecutionDeviceUnavailableException">CUDA was asked for, cannot be used, and <see cref="ExecutionOptions.FallbackToCpu"/> is false.</exception>
    public static SessionOptions Create(ExecutionOptions options, out string provider, out string? fallbackReason) =>
        Create(options, useGpu: true, out provider, out fallbackReason);

    /// <summary>
    /// Creates a session over <paramref name="model"/> with <see cref="Create(ExecutionOptions, out string, out string?)"/>'s
    /// options; a CUDA failure while the session is created falls back (or throws) the same way.
    /// </summary>
    /// <param name="model">The model (not modified).</param>
    /// <param name="options">The execution options.</param>
    /// <param name="provider"><see cref="CudaProvider"/> or <see cref="CpuProvider"/>: where the session runs.</param>
    /// <param name="fallbackReason">Why CUDA was not used although asked for, or null.</param>
    /// <exception cref="ExecutionDeviceUnavailableException">CUDA was asked for, cannot be used, and <see cref="ExecutionOptions.FallbackToCpu"/> is false.</exception>
    /// <exception cref="InvalidOnnxModelException">ONNX Runtime refuses the model on the CPU.</exception>
    public static InferenceSession CreateSession(OnnxModel model, ExecutionOptions options, out string provider, out string? fallbackReason)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var bytes = model.ToBytes();
        using (var sessionOptions = Create(options, out provider, out fallbackReason))
        {
            if (provider != CudaProvider)
            {
                return OrtSessions.Create(bytes, sessionOptions);
            }

            try
            {
                return new InferenceSession(bytes, sessionOptions);
            }
            catch (OnnxRuntimeException e)
            {
                // The provider was appended but the device failed when the session was made (driver, memory, kernel).
                int device = options.GpuDeviceId!.Value;
                fallbackReason = Unavailable(options, device, e);
            }
        }

        using var cpu = Create(options, useGpu: false, out provider, out _);
        return OrtSessions.Create(bytes, cpu);
    }

    private static SessionOptions Create(ExecutionOptions options, bool useGpu, out string provider, out string? fallbackReason)
    {
        ArgumentNullException.ThrowIfNull(options);
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

        provider = CpuProvider;
        fallbackReason = null;
        if (useGpu && options.GpuDeviceId is { } device)
        {
            try
            {
                // TF32 off: rounding a convolution's inputs to 10 mantissa bits would blur gradients, and it would make the
                // activation masks (Autodiff's StepMasks, exact steps in float32) wrong next to a Clip bound.
                using var cuda = new OrtCUDAProviderOptions();
                cuda.UpdateOptions(new Dictionary<string, string>
                {
                    ["device_id"] = device.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["use_tf32"] = "0",
                });
                sessionOptions.AppendExecutionProvider_CUDA(cuda);
                provider = CudaProvider;
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                try
                {
                    fallbackReason = Unavailable(options, device, e);
                }
                catch
                {
                    sessionOptions.Dispose();
                    throw;
                }
            }
        }

        return sessionOptions;
    }

    /// <summary>The fall-back reason, or the exception when there is no fall-back.</summary>
    private static string Unavailable(ExecutionOptions options, int device, Exception e)
    {
        if (!options.FallbackToCpu)
        {
            throw new ExecutionDeviceUnavailableException(device, $"CUDA device {device} was requested but cannot be used ({e.Message}), and FallbackToCpu is false.", e);
        }

        return $"CUDA device {device} unavailable: {e.Message}";
    }
}
