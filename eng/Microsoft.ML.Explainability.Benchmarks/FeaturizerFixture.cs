using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// The CNTK ResNet-18 featurizer shared by the benchmarks: the model, a seeded random 224×224 batch of 8, a seed
/// selecting one output feature per row, and the plain ONNX Runtime forward pass every ratio is measured against.
/// </summary>
public sealed class FeaturizerFixture : IDisposable
{
    public const int Batch = 8;

    private readonly InferenceSession _forward;
    private readonly OrtValue _inputValue;

    public FeaturizerFixture()
    {
        Model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"));
        InputName = Model.InputNames[0];
        OutputName = Model.OutputNames[0];
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _forward = new InferenceSession(GradientModel.Prepare(Model).ToBytes(), options);
        var random = new Random(1);
        Input = new FloatTensor(Enumerable.Range(0, Batch * 3 * 224 * 224).Select(_ => (float)(random.NextDouble() * 255)).ToArray(), Batch, 3, 224, 224);
        _inputValue = OrtValue.CreateTensorValueFromMemory(Input.Data, Input.Shape);
        Seed = FloatTensor.Zeros(Batch, 512, 1, 1);
        for (int row = 0; row < Batch; row++)
        {
            Seed[row, row * 7, 0, 0] = 1;
        }
    }

    public OnnxModel Model { get; }

    public string InputName { get; }

    public string OutputName { get; }

    public FloatTensor Input { get; }

    public FloatTensor Seed { get; }

    /// <summary>Plain inference of the prepared model (opset 17, symbolic batch) on the batch.</summary>
    public float Forward()
    {
        using var runOptions = new RunOptions();
        using var outputs = _forward.Run(runOptions, [InputName], [_inputValue], [OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    public void Dispose()
    {
        _inputValue.Dispose();
        _forward.Dispose();
    }
}
