using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Explainers;

/// <summary>The registry: every method declared once, documented with its paper, and runnable through <see cref="IExplainer"/>.</summary>
[TestClass]
public sealed partial class ExplanationMethodsTests
{
    /// <summary>Cheap settings so every method runs in a second or two on a fixture.</summary>
    private static readonly MethodSettings Cheap = new()
    {
        Samples = 3,
        Steps = 4,
        Masks = 64,
        Window = (14, 14),
        Stride = (14, 14),
        Execution = new ExecutionOptions { BatchSize = 64 },
    };

    public static IEnumerable<object[]> Methods => ExplanationMethods.All.Select(m => new object[] { m.Name });

    [TestMethod]
    public void NamesAreUniqueStableAndFindable()
    {
        var names = ExplanationMethods.All.Select(m => m.Name).ToArray();
        CollectionAssert.AllItemsAreUnique(names.Select(n => n.ToUpperInvariant()).ToArray());
        foreach (var method in ExplanationMethods.All)
        {
            StringAssert.Matches(method.Name, KebabCase());
            Assert.AreSame(method, ExplanationMethods.Find(method.Name.ToUpperInvariant()));
            Assert.IsFalse(string.IsNullOrWhiteSpace(method.Summary), method.Name);
            Assert.IsTrue(method.Compiles || !string.IsNullOrWhiteSpace(method.NotCompilableReason), method.Name);
        }

        var error = Assert.ThrowsExactly<ArgumentException>(() => ExplanationMethods.Find("no-such-method"));
        StringAssert.Contains(error.Message, "grad-cam");
        Assert.IsTrue(ExplanationMethods.All.Count >= 27, $"only {ExplanationMethods.All.Count} methods");
    }

    /// <summary>Fails when a method is added to the registry without XML docs that name its paper (authors and year).</summary>
    [TestMethod]
    public void EveryRegistryEntryIsDocumentedWithItsPaper()
    {
        var xmlPath = Path.ChangeExtension(typeof(ExplanationMethods).Assembly.Location, ".xml");
        Assert.IsTrue(File.Exists(xmlPath), $"The core assembly's XML documentation is missing at {xmlPath}.");
        var members = XDocument.Load(xmlPath).Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, m => m.Element("summary")?.Value ?? "");
        var fields = typeof(ExplanationMethods).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(ExplanationMethod))
            .ToArray();
        Assert.AreEqual(ExplanationMethods.All.Count, fields.Length);
        foreach (var field in fields)
        {
            var method = (ExplanationMethod)field.GetValue(null)!;
            Assert.IsTrue(members.TryGetValue($"F:{typeof(ExplanationMethods).FullName}.{field.Name}", out var summary), $"Registry entry {field.Name} has no XML docs.");
            Assert.IsTrue(Year().IsMatch(summary), $"The XML docs of {field.Name} name no paper year: '{summary.Trim()}'.");
            Assert.IsTrue(Year().IsMatch(method.Paper), $"The Paper of {method.Name} names no year: '{method.Paper}'.");
        }
    }

    /// <summary>Every method runs through the common interface on a fixture and returns values of its declared layout.</summary>
    [TestMethod]
    [DynamicData(nameof(Methods))]
    public void RunsOnTheFixtureThroughTheCommonInterface(string name)
    {
        var method = ExplanationMethods.Find(name);
        bool transformer = method.Family == MethodFamily.VisionTransformer;
        var model = OnnxModel.Load(TestAssets.ModelPath(transformer ? "fmnist_deit.onnx" : "fmnist_cnn.onnx"));
        var batch = TestAssets.FashionMnistBatch(2);
        using var explainer = method.CreateExplainer(model, Cheap);
        Assert.AreSame(method, explainer.Method);
        var explanation = explainer.Explain(new ExplanationRequest(batch) { Targets = [3, -1] });
        Assert.AreSame(method, explanation.Method);
        long[] expected = method.Layout == ExplanationLayout.Map ? [2, batch.Shape[2], batch.Shape[3]] : batch.Shape.ToArray();
        CollectionAssert.AreEqual(expected, explanation.Values.Shape.ToArray(), $"{name}: {explanation.Values.ShapeText}");
        Assert.IsTrue(explanation.Values.Data.All(float.IsFinite));
        Assert.IsTrue(explanation.Values.Data.Any(v => v != 0), $"{name} returned all zeros.");
        if (explanation.Targets is { } targets)
        {
            Assert.AreEqual(3L, targets[0]);
            Assert.IsTrue(targets[1] >= 0);
        }

        if (method.Layout == ExplanationLayout.Map && method.Family != MethodFamily.Perturbation)
        {
            Assert.IsTrue(explanation.Values.Data.All(v => v is >= 0 and <= 1), $"{name}: maps are not in [0, 1].");
        }
    }

    [TestMethod]
    public void ACamMethodIsRefusedByFamilyExplainersOfAnotherFamily()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var error = Assert.ThrowsExactly<ArgumentException>(() => new Microsoft.ML.Explainability.Cam.CamExplainer(model, new Microsoft.ML.Explainability.Cam.CamOptions { Method = ExplanationMethods.Saliency }));
        StringAssert.Contains(error.Message, "'saliency' is not a CAM method");
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex KebabCase();

    [GeneratedRegex(@"\b(19|20)\d\d\b")]
    private static partial Regex Year();
}
