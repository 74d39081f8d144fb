using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Lrp;

/// <summary>The composites on the fixture models and the ResNet-18 featurizer.</summary>
[TestClass]
public sealed class LrpModelTests
{
    /// <summary>Normalised value of raw pixel 0 and 255: z^B's bounds for Fashion-MNIST.</summary>
    private static readonly double Low = (0 - TestAssets.Mean) / TestAssets.Std;
    private static readonly double High = (1 - TestAssets.Mean) / TestAssets.Std;

    public static IEnumerable<object[]> Composites =>
        from model in new[] { "fmnist_cnn.onnx", "fmnist_resnet.onnx" }
        from composite in new[] { "EpsilonPlus", "EpsilonAlpha2Beta1", "EpsilonGammaBox", "EpsilonPlusFlat" }
        select new object[] { model, composite };

    internal static LrpComposite Composite(string name) => name switch
    {
        "EpsilonPlus" => LrpComposite.EpsilonPlus(),
        "EpsilonAlpha2Beta1" => LrpComposite.EpsilonAlpha2Beta1(),
        "EpsilonGammaBox" => LrpComposite.EpsilonGammaBox([Low], [High]),
        _ => LrpComposite.EpsilonPlusFlat(),
    };

    [TestMethod]
    [DynamicData(nameof(Composites))]
    public void Positive_relevance_concentrates_on_the_object_and_its_contour(string file, string composite)
    {
        // Over the first 100 test images, for the predicted class. Object pixels: raw value > 0 (the background is
        // exactly 0); the object region: object pixels and pixels within 2 px of one (Chebyshev). Asserted: the object
        // region holds the majority of the positive relevance, and more than its share of the pixels (so relevance is
        // denser on and around the object than on the far background). The share on object pixels alone is printed:
        // it is about 50 % (object pixels are 49.4 % of all pixels) for every composite and also for plain |gradient|
        // and input × gradient on these models, because dark pixels next to the object carry evidence (x⁻·W⁻ terms
        // and z^B's (l − h)·W⁻ give them positive relevance), so it is not asserted.
        var (images, _) = TestAssets.FashionMnist(100);
        var batch = TestAssets.FashionMnistBatch(100);
        using var lrp = new LrpExplainer(OnnxModel.Load(TestAssets.ModelPath(file)), new LrpOptions { Composite = Composite(composite) });
        var result = lrp.Explain(batch);
        Assert.IsTrue(result.Relevance.Shape.SequenceEqual(batch.Shape));
        Assert.IsTrue(result.Relevance.Data.All(float.IsFinite));
        double onObject = 0, inRegion = 0, total = 0;
        int regionPixels = 0;
        for (int row = 0; row < 100; row++)
        {
            var r = result.Relevance.Row(row);
            var image = images[row];
            for (int p = 0; p < 784; p++)
            {
                double positive = Math.Max(r[p], 0);
                total += positive;
                onObject += image[p] > 0 ? positive : 0;
                if (NearObject(image, p / 28, p % 28))
                {
                    inRegion += positive;
                    regionPixels++;
                }
            }
        }

        double regionFraction = regionPixels / 78400.0;
        Console.WriteLine($"{file} {composite}: {onObject / total:P1} of positive relevance on object pixels, {inRegion / total:P1} on the object region ({regionFraction:P1} of the pixels)");
        Assert.IsGreaterThan(0.5, inRegion / total);
        Assert.IsGreaterThan(regionFraction, inRegion / total, "relevance is denser on the object region than elsewhere");
    }

    private static bool NearObject(byte[] image, int y, int x)
    {
        for (int dy = -2; dy <= 2; dy++)
        {
            for (int dx = -2; dx <= 2; dx++)
            {
                int yy = y + dy, xx = x + dx;
                if (yy is >= 0 and < 28 && xx is >= 0 and < 28 && image[(yy * 28) + xx] > 0)
                {
                    return true;
                }
            }
        }

        return false;
    }

    [TestMethod]
    [DataRow("EpsilonPlus")]
    [DataRow("EpsilonGammaBox")]
    public void Works_on_the_mobilenet_fixture(string composite)
    {
        // Hard-swish activations (Pass), squeeze-excitation gates (Gate), residual Adds (Norm), a dense head with HardSwish.
        var batch = TestAssets.FashionMnistBatch(4);
        using var lrp = new LrpExplainer(OnnxModel.Load(TestAssets.ModelPath("fmnist_mobilenet.onnx")), new LrpOptions { Composite = Composite(composite) });
        var result = lrp.Explain(batch, [0, 1, -1, 3]);
        Assert.IsTrue(result.Relevance.Shape.SequenceEqual(batch.Shape));
        Assert.IsTrue(result.Relevance.Data.All(float.IsFinite));
        Assert.AreEqual(3L, result.Targets![3]);
        for (int row = 0; row < 4; row++)
        {
            Assert.IsGreaterThan(0, result.Relevance.Row(row).ToArray().Max(v => Math.Abs(v)), $"row {row} has relevance");
        }
    }

    [TestMethod]
    public void Works_on_the_resnet18_featurizer_with_batch_normalization_folded()
    {
        // Opset 8, 22 BatchNormalizations folded, asymmetric pads, a final AveragePool (Norm); its output is a
        // [N, 512, 1, 1] embedding, so the output relevance is given: R_out = the embedding itself (Logit seed with ones).
        var model = OnnxModel.Load(TestAssets.ResNet18Path);
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus(), Seed = LrpSeed.Logit });
        Assert.IsGreaterThan(0, lrp.FoldedBatchNormalizations);
        var x = GradientCheck.RandomTensor(new Random(3), [2, 3, 224, 224], -2, 2);
        var ones = new FloatTensor(Enumerable.Repeat(1f, 2 * 512).ToArray(), 2, 512, 1, 1);
        var result = lrp.Explain(x, ones);
        Assert.IsTrue(result.Relevance.Shape.SequenceEqual(x.Shape), result.Relevance.ShapeText);
        Assert.IsTrue(result.Relevance.Data.All(float.IsFinite));
        Assert.IsNull(result.Targets);
        for (int row = 0; row < 2; row++)
        {
            Assert.IsGreaterThan(0, result.Relevance.Row(row).ToArray().Max(v => Math.Abs(v)), $"row {row} has relevance");
        }
    }
}
