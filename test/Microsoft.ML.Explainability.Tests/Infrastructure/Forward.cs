using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Tests.Infrastructure;

/// <summary>Plain ONNX Runtime inference of a model (no backward graph), the reference for finite differences.</summary>
internal sealed class Forward : IDisposable
{
    private readonly InferenceSession _session;

    public Forward(OnnxModel model)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        _session = new InferenceSession(model.ToBytes(), options);
    }

    public FloatTensor Run(string output, IReadOnlyDictionary<string, FloatTensor> inputs)
    {
        var values = inputs.Select(kv => OrtValue.CreateTensorValueFromMemory(kv.Value.Data, kv.Value.Shape)).ToList();
        try
        {
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, inputs.Keys.ToArray(), values, [output]);
            var info = outputs[0].GetTensorTypeAndShape();
            return new FloatTensor(outputs[0].GetTensorDataAsSpan<float>().ToArray(), info.Shape);
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    public void Dispose() => _session.Dispose();
}
