using Microsoft.ML.Explainability.Onnx;
namespace Microsoft.ML.Explainability.Tests;
[TestClass]
public class ScratchTests
{
    [TestMethod]
    public void Probe()
    {
        var m = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "assets/models/fmnist_cnn.onnx"));
        var s = ShapeProbe.Run(m);
        foreach (var t in s.Tensors) Console.WriteLine($"{t.Name} {t.Kind} {t.ElementType} {t.ShapeText} {t.Producer}");
    }
}
