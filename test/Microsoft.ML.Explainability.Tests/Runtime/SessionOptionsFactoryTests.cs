using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Tests.Runtime;

/// <summary>
/// One session factory, one fall-back behaviour: with no GPU on this machine, a CUDA request runs on the CPU (and says
/// why) when FallbackToCpu is true, and throws <see cref="ExecutionDeviceUnavailableException"/> when it is false — in
/// the factory itself, in the explainers' forward sessions and in the evaluation harness's <see cref="ModelScorer"/>
/// (whose CUDA failure used to escape as a raw <see cref="OnnxRuntimeException"/>).
/// </summary>
[TestClass]
public sealed class SessionOptionsFactoryTests
{
    private static readonly ExecutionOptions Fallback = new() { GpuDeviceId = 0, FallbackToCpu = true, IntraOpThreads = 1, InterOpThreads = 1, OptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
    private static readonly ExecutionOptions NoFallback = new() { GpuDeviceId = 0, FallbackToCpu = false };

    private static OnnxModel Cnn => OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));

    [TestMethod]
    public void The_factory_falls_back_to_the_cpu_or_throws_the_one_exception()
    {
        using (var session = SessionOptionsFactory.CreateSession(Cnn, Fallback, out var provider, out var reason))
        {
            Assert.AreEqual(SessionOptionsFactory.CpuProvider, provider);
            StringAssert.Contains(reason, "CUDA device 0");
            Assert.IsNotEmpty(session.InputMetadata);
        }

        using (SessionOptionsFactory.CreateSession(Cnn, ExecutionOptions.Default, out var provider, out var reason))
        {
            Assert.AreEqual(SessionOptionsFactory.CpuProvider, provider);
            Assert.IsNull(reason, "no device asked for: no fall-back to report");
        }

        var error = Assert.ThrowsExactly<ExecutionDeviceUnavailableException>(() => SessionOptionsFactory.CreateSession(Cnn, NoFallback, out _, out _));
        Assert.AreEqual(0, error.GpuDeviceId);
        StringAssert.Contains(error.Message, "FallbackToCpu is false");
        Assert.IsInstanceOfType<ExplainabilityException>(error);
        Assert.ThrowsExactly<ExecutionDeviceUnavailableException>(() => SessionOptionsFactory.Create(NoFallback, out _, out _));
    }

    [TestMethod]
    public void The_evaluation_scorer_uses_the_same_fall_back()
    {
        using (var scorer = new ModelScorer(Cnn, null, Fallback))
        {
            Assert.AreEqual(SessionOptionsFactory.CpuProvider, scorer.ExecutionProvider);
            StringAssert.Contains(scorer.FallbackReason, "CUDA device 0");
            Assert.AreEqual(2, scorer.Outputs(TestAssets.FashionMnistBatch(2)).BatchSize);
        }

        var error = Assert.ThrowsExactly<ExecutionDeviceUnavailableException>(() => new ModelScorer(Cnn, null, NoFallback));
        StringAssert.Contains(error.Message, "CUDA device 0");
    }

    [TestMethod]
    public void Explainers_with_forward_sessions_use_the_same_fall_back()
    {
        var settings = new MethodSettings { Execution = Fallback, Masks = 8 };
        using (var rise = ExplanationMethods.Rise.CreateExplainer(Cnn, settings))
        {
            Assert.AreEqual(2, rise.Explain(new ExplanationRequest(TestAssets.FashionMnistBatch(2))).Values.BatchSize);
        }

        // RISE makes its forward session when it is created; either way the one exception reaches the caller.
        Assert.ThrowsExactly<ExecutionDeviceUnavailableException>(() =>
        {
            using var failing = ExplanationMethods.Rise.CreateExplainer(Cnn, new MethodSettings { Execution = NoFallback, Masks = 8 });
            failing.Explain(new ExplanationRequest(TestAssets.FashionMnistBatch(1)));
        });
    }
}
