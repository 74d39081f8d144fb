using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>Creates ONNX Runtime sessions from in-memory models, turning load failures into <see cref="InvalidOnnxModelException"/>.</summary>
internal static class OrtSessions
{
    public static InferenceSession Create(OnnxModel model, SessionOptions options) => Create(model.ToBytes(), options);

    public static InferenceSession Create(byte[] model, SessionOptions options)
    {
        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOnnxModelException($"ONNX Runtime refused the model: {e.Message}", e);
        }
    }
}
