using BenchmarkDotNet.Attributes;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.ZooBenchmarks;

/// <summary>
/// Every zoo model (224×224, CPU, 2 intra-op threads): plain ONNX Runtime inference of the prepared model on a batch
/// of 8 (the [Baseline]) against Grad-CAM, saliency, Guided Backprop and LRP EpsilonPlus on the same batch, and
/// integrated gradients with 32 steps on one image (its 32 path points are one batch of 32, as the library runs them).
/// Every benchmark reports ms per image (OperationsPerInvoke), so the Ratio column is the method's cost per image ÷
/// inference per image. Issue 11 targets on every CNN: Grad-CAM ≤ 1.15×, saliency and Guided Backprop ≤ 2.3×,
/// LRP EpsilonPlus ≤ 3.3×, IG-32 ≤ 70×. Issue 16 adds Shapley-CAM (target ≤ 3.5×: forward, backward and the
/// reverse-over-reverse H·A) and Grad-CAM over two target layers (<see cref="MethodGraphs.TwoLayers"/>: one backward
/// pass to both, the maps averaged as pytorch-grad-cam does).
/// </summary>
/// <remarks>
/// A short in-process job (1 warm-up, 3 measured invocations each, see Program.cs): the zoo runs in about half an
/// hour on 2 cores. Each [GlobalSetup] builds only the session its benchmark needs.
/// </remarks>
public class ZooBenchmarks
{
    private const int IgSteps = 32;

    private OnnxModel _model = null!;
    private FloatTensor _input = null!;
    private FloatTensor _seed = null!;
    private InferenceSession _forward = null!;
    private OrtValue _inputValue = null!;
    private IDisposable? _explainer;
    private Func<float> _explain = null!;

    public static IEnumerable<string> Models => ZooModels.Names;

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "";

    [GlobalSetup(Target = nameof(Inference))]
    public void SetupInference()
    {
        Common();
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        _forward = new InferenceSession(GradientModel.Prepare(_model).ToBytes(), options);
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input.Data, _input.Shape);
        _forward.Run(new RunOptions(), [_model.InputNames[0]], [_inputValue], [_forward.OutputNames[0]]).Dispose();
    }

    [GlobalSetup(Target = nameof(GradCam))]
    public void SetupGradCam() => Use(new CamExplainer(Common(), new CamOptions { Method = ExplanationMethods.GradCam, Execution = ZooModels.Execution() }), e => e.Explain(_input, _seed).Maps.Data[0]);

    [GlobalSetup(Target = nameof(ShapleyCam))]
    public void SetupShapleyCam() => Use(new CamExplainer(Common(), new CamOptions { Method = ExplanationMethods.ShapleyCam, Execution = ZooModels.Execution() }), e => e.Explain(_input, _seed).Maps.Data[0]);

    [GlobalSetup(Target = nameof(GradCamTwoLayers))]
    public void SetupGradCamTwoLayers()
    {
        var model = Common();
        Use(new CamExplainer(model, new CamOptions { Method = ExplanationMethods.GradCam, TargetLayers = MethodGraphs.TwoLayers(model), Execution = ZooModels.Execution() }), e => e.Explain(_input, _seed).Maps.Data[0]);
    }

    [GlobalSetup(Target = nameof(Saliency))]
    public void SetupSaliency() => Use(new GradientExplainer(Common(), new GradientOptions { Method = GradientMethod.Saliency, Execution = ZooModels.Execution() }), e => e.Explain(_input, _seed).Attributions.Data[0]);

    [GlobalSetup(Target = nameof(GuidedBackprop))]
    public void SetupGuidedBackprop() => Use(new GradientExplainer(Common(), new GradientOptions { Method = GradientMethod.GuidedBackprop, Execution = ZooModels.Execution() }), e => e.Explain(_input, _seed).Attributions.Data[0]);

    [GlobalSetup(Target = nameof(LrpEpsilonPlus))]
    public void SetupLrp() => Use(new LrpExplainer(Common(), new LrpOptions { Composite = LrpComposite.EpsilonPlus(), Execution = ZooModels.Execution() }), e => e.Explain(_input, _seed).Relevance.Data[0]);

    [GlobalSetup(Target = nameof(IntegratedGradients32))]
    public void SetupIntegratedGradients()
    {
        Common();
        var one = _input.Rows(0, 1);
        var seed = _seed.Rows(0, 1);
        Use(new IntegratedGradients(_model, new IntegratedGradientsOptions { Steps = IgSteps, Execution = ZooModels.Execution(IgSteps) }), e => e.Explain(one, seed).Attributions.Data[0]);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ZooModels.Batch, Description = "inference")]
    public float Inference()
    {
        using var runOptions = new RunOptions();
        using var outputs = _forward.Run(runOptions, [_model.InputNames[0]], [_inputValue], [_forward.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(OperationsPerInvoke = ZooModels.Batch, Description = "Grad-CAM")]
    public float GradCam() => _explain();

    [Benchmark(OperationsPerInvoke = ZooModels.Batch, Description = "Shapley-CAM")]
    public float ShapleyCam() => _explain();

    [Benchmark(OperationsPerInvoke = ZooModels.Batch, Description = "Grad-CAM, 2 layers")]
    public float GradCamTwoLayers() => _explain();

    [Benchmark(OperationsPerInvoke = ZooModels.Batch, Description = "saliency")]
    public float Saliency() => _explain();

    [Benchmark(OperationsPerInvoke = ZooModels.Batch, Description = "Guided Backprop")]
    public float GuidedBackprop() => _explain();

    [Benchmark(OperationsPerInvoke = ZooModels.Batch, Description = "LRP EpsilonPlus")]
    public float LrpEpsilonPlus() => _explain();

    [Benchmark(OperationsPerInvoke = 1, Description = "IG-32 (1 image)")]
    public float IntegratedGradients32() => _explain();

    [GlobalCleanup]
    public void Cleanup()
    {
        _explainer?.Dispose();
        _forward?.Dispose();
        _inputValue?.Dispose();
    }

    private OnnxModel Common()
    {
        _model = ZooModels.Load(Model);
        _input = ZooModels.Input(Model);
        _seed = ZooModels.Seed(Model);
        return _model;
    }

    private void Use<T>(T explainer, Func<T, float> explain)
        where T : IDisposable
    {
        _explainer = explainer;
        _explain = () => explain(explainer);
        _explain(); // sessions are created on first use: warm up outside the measurement
    }
}
