using System.Diagnostics;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Hardening;

/// <summary>
/// Seeded random byte flips and truncations of the fixture models and of .npy files, bounded in time. Every case ends
/// in success or in one of the library's documented exceptions (<see cref="ExplainabilityException"/> and its
/// subclasses: <see cref="InvalidOnnxModelException"/>, <see cref="NpyFormatException"/>…); any other exception type
/// fails the test with the case's seed, so it can be replayed.
/// </summary>
[TestClass]
public sealed class FuzzTests
{
    private const int ModelCases = 1600;
    private const int NpyCases = 600;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(40);

    [TestMethod]
    [Timeout(120_000)]
    public void Mutated_fixture_models_load_and_prepare_or_fail_with_a_documented_exception()
    {
        var originals = new[] { "fmnist_cnn.onnx", "fmnist_resnet.onnx", "fmnist_deit.onnx" }
            .Select(f => File.ReadAllBytes(TestAssets.ModelPath(f))).ToArray();
        var clock = Stopwatch.StartNew();
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        int cases = 0;
        for (; cases < ModelCases && clock.Elapsed < Budget; cases++)
        {
            var random = new Random(cases);
            var bytes = Mutate(originals[cases % originals.Length], random);
            var outcome = Outcome(cases, () =>
            {
                var model = OnnxModel.Load(bytes);
                var prepared = GradientModel.Prepare(model);
                _ = prepared.Index().TensorNames.Count();
                // One case in 16 also builds the gradient model, which runs ONNX Runtime on the mutated model (the shape
                // probe is the costly part), and one in 48 runs it.
                if (cases % 16 == 0 && model.InputNames.Count > 0 && model.OutputNames.Count > 0)
                {
                    var gradients = GradientModel.Build(model, new GradientRequest { Output = model.OutputNames[0], WithRespectTo = [model.InputNames[0]] });
                    if (cases % 48 == 0)
                    {
                        using var session = new GradientSession(gradients);
                        session.Run(TestAssets.FashionMnistBatch(1));
                    }
                }
            });
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Console.WriteLine($"{cases} model cases in {clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", outcomes.Select(kv => $"{kv.Key} {kv.Value}"))}");
        Assert.IsTrue(cases >= 200, $"only {cases} cases ran within the budget");
        Assert.IsTrue(outcomes.Count > 1, "the mutations should produce both successes and refusals");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void Mutated_npy_files_read_or_fail_with_a_documented_exception()
    {
        var floats = new MemoryStream();
        Npy.Write(floats, TestAssets.FashionMnistBatch(2));
        var longs = new MemoryStream();
        Npy.WriteInt64(longs, [3, 1, 4, 1, 5], 5);
        var originals = new[] { floats.ToArray(), longs.ToArray() };
        var clock = Stopwatch.StartNew();
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        int cases = 0;
        for (; cases < NpyCases && clock.Elapsed < Budget; cases++)
        {
            var random = new Random(100_000 + cases);
            var bytes = Mutate(originals[cases % 2], random, headerBias: true);
            bool forwardOnly = cases % 3 == 0;
            var outcome = Outcome(cases, () =>
            {
                Stream stream = forwardOnly ? new NpyLimitTests.ForwardOnlyStream(bytes) : new MemoryStream(bytes);
                if (cases % 2 == 0)
                {
                    Npy.ReadFloats(stream);
                }
                else
                {
                    Npy.ReadInt64(stream);
                }
            });
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Console.WriteLine($"{cases} .npy cases in {clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", outcomes.Select(kv => $"{kv.Key} {kv.Value}"))}");
        Assert.IsTrue(cases >= 200, $"only {cases} cases ran within the budget");
    }

    [TestMethod]
    public void An_opset_version_beyond_the_int_range_is_refused_as_invalid()
    {
        var proto = Microsoft.ML.Explainability.Onnx.Protobuf.ModelProto.Parser.ParseFrom(File.ReadAllBytes(TestAssets.ModelPath("fmnist_cnn.onnx")));
        proto.OpsetImport.Single(o => o.Domain is "" or "ai.onnx").Version = 1L << 40;
        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(Google.Protobuf.MessageExtensions.ToByteArray(proto)));
        StringAssert.Contains(e.Message, "opset");
    }

    /// <summary>"ok" or the exception's type name; fails on an exception outside the library's documented family.</summary>
    private static string Outcome(int seed, Action run)
    {
        try
        {
            run();
            return "ok";
        }
        catch (ExplainabilityException e)
        {
            return e.GetType().Name;
        }
        catch (Exception e)
        {
            Assert.Fail($"case {seed}: {e.GetType().FullName} escaped: {e.Message}\n{e.StackTrace}");
            throw;
        }
    }

    /// <summary>One to eight byte flips, a truncation, or both; the header region is hit more often when asked.</summary>
    private static byte[] Mutate(byte[] original, Random random, bool headerBias = false)
    {
        var bytes = (byte[])original.Clone();
        int kind = random.Next(3);
        if (kind != 1)
        {
            int flips = random.Next(1, 9);
            for (int i = 0; i < flips; i++)
            {
                int limit = headerBias && random.Next(2) == 0 ? Math.Min(bytes.Length, 128) : bytes.Length;
                int at = random.Next(limit);
                bytes[at] = random.Next(4) == 0 ? (byte)random.Next(256) : (byte)(bytes[at] ^ (1 << random.Next(8)));
            }
        }

        if (kind != 0)
        {
            int length = random.Next(2) == 0 ? random.Next(Math.Min(bytes.Length, 256)) : random.Next(bytes.Length);
            Array.Resize(ref bytes, length);
        }

        return bytes;
    }
}
