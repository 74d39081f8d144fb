using System.Diagnostics;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Hardening;

/// <summary>Long-running methods take a cancellation token and stop within one batch.</summary>
[TestClass]
public sealed class CancellationTests
{
    private static readonly ExecutionOptions SmallBatches = new() { BatchSize = 8 };

    public static IEnumerable<object[]> Methods =>
    [
        ["IntegratedGradients"], ["SmoothGrad"], ["VarGrad"], ["Rise"], ["Occlusion"], ["ScoreCam"], ["AblationCam"], ["FullGrad"], ["GradCam"],
    ];

    [TestMethod]
    [DynamicData(nameof(Methods))]
    public void An_already_cancelled_token_stops_before_the_first_batch(string method)
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var batch = TestAssets.FashionMnistBatch(1);
        var explain = Explainer(model, method, out var disposable);
        using (disposable)
        {
            Assert.ThrowsExactly<OperationCanceledException>(() => explain(batch, cancelled.Token));
            Assert.IsNotNull(explain(batch, CancellationToken.None), "the same explainer still works without a cancelled token");
        }
    }

    [TestMethod]
    [DataRow("Rise")]
    [DataRow("IntegratedGradients")]
    public void Cancelling_mid_run_returns_within_one_batch(string method)
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var batch = TestAssets.FashionMnistBatch(1);
        var explain = Explainer(model, method, out var disposable, huge: true);
        using (disposable)
        {
            // The time of one batch, measured on this (possibly loaded) machine.
            var clock = Stopwatch.StartNew();
            var small = Explainer(model, method, out var smallDisposable);
            using (smallDisposable)
            {
                small(batch, CancellationToken.None);
            }

            var oneRun = clock.Elapsed;
            using var source = new CancellationTokenSource();
            var stopped = TimeSpan.Zero;
            var cancelAt = TimeSpan.FromMilliseconds(300);
            source.CancelAfter(cancelAt);
            clock.Restart();
            Assert.ThrowsExactly<OperationCanceledException>(() => explain(batch, source.Token));
            stopped = clock.Elapsed - cancelAt;

            // The huge run would take minutes; it stops about one batch after the token is cancelled.
            Assert.IsTrue(stopped < TimeSpan.FromSeconds(5) + (3 * oneRun), $"stopped {stopped.TotalMilliseconds:F0} ms after cancellation (one small run takes {oneRun.TotalMilliseconds:F0} ms)");
        }
    }

    private static Func<FloatTensor, CancellationToken, object> Explainer(OnnxModel model, string method, out IDisposable disposable, bool huge = false)
    {
        switch (method)
        {
            case "IntegratedGradients":
                var ig = new IntegratedGradients(model, new IntegratedGradientsOptions { Steps = huge ? 1_000_000 : 16, MaxSteps = 1_000_000, Rule = IntegrationRule.RiemannTrapezoid, Execution = SmallBatches });
                disposable = ig;
                return (b, t) => ig.Explain(b, (long[]?)null, t);
            case "SmoothGrad" or "VarGrad":
                var smooth = new GradientExplainer(model, new GradientOptions { Method = method == "VarGrad" ? GradientMethod.VarGrad : GradientMethod.SmoothGrad, Samples = 16, Execution = SmallBatches });
                disposable = smooth;
                return (b, t) => smooth.Explain(b, (long[]?)null, t);
            case "Rise":
                var rise = new Rise(model, new RiseOptions { Masks = huge ? 1_000_000 : 16, Execution = SmallBatches });
                disposable = rise;
                return (b, t) => rise.Explain(b, (long[]?)null, t);
            case "Occlusion":
                var occlusion = new Occlusion(model, new OcclusionOptions { WindowHeight = 8, WindowWidth = 8, StrideX = 8, StrideY = 8, Execution = SmallBatches });
                disposable = occlusion;
                return (b, t) => occlusion.Explain(b, (long[]?)null, t);
            case "FullGrad":
                var fullGrad = new FullGrad(model, new FullGradOptions { Execution = SmallBatches });
                disposable = fullGrad;
                return (b, t) => fullGrad.Explain(b, (long[]?)null, t);
            default:
                var cam = new CamExplainer(model, new CamOptions { Method = (ExplanationMethod)typeof(ExplanationMethods).GetField(method)!.GetValue(null)!, Execution = SmallBatches });
                disposable = cam;
                return (b, t) => cam.Explain(b, (long[]?)null, t);
        }
    }
}
