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
    private const int StructuralCases = 150;
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
            var bytes = Mutate(originals[cases % originals.Length], random, structureBias: true);
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

    /// <summary>
    /// Mutations of the parsed graph rather than of its bytes (nodes removed, inputs rewired, operator types and integer
    /// attributes changed, weight dimensions changed, the node list shuffled), each built into a gradient model and run.
    /// </summary>
    [TestMethod]
    [Timeout(120_000)]
    public void Structurally_mutated_models_build_and_run_or_fail_with_a_documented_exception()
    {
        var original = Microsoft.ML.Explainability.Onnx.Protobuf.ModelProto.Parser.ParseFrom(File.ReadAllBytes(TestAssets.ModelPath("fmnist_cnn.onnx")));
        var clock = Stopwatch.StartNew();
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        int cases = 0;
        string[] ops = ["Relu", "Add", "Mul", "Identity", "Conv", "MaxPool", "Gemm", "Reshape", "Flatten", "Softmax", "Transpose", "Concat", "Sigmoid", "If", "Loop"];
        for (; cases < StructuralCases && clock.Elapsed < Budget; cases++)
        {
            var random = new Random(500_000 + cases);
            var proto = original.Clone();
            var graph = proto.Graph;
            var names = graph.Node.SelectMany(n => n.Output).Concat(graph.Input.Select(i => i.Name)).Concat(graph.Initializer.Select(t => t.Name)).ToArray();
            int edits = random.Next(1, 4);
            for (int k = 0; k < edits; k++)
            {
                var node = graph.Node[random.Next(graph.Node.Count)];
                switch (random.Next(6))
                {
                    case 0 when graph.Node.Count > 1: graph.Node.Remove(node); break;
                    case 1 when node.Input.Count > 0: node.Input[random.Next(node.Input.Count)] = names[random.Next(names.Length)]; break;
                    case 2: node.OpType = ops[random.Next(ops.Length)]; break;
                    case 3 when node.Attribute.Count > 0:
                        var a = node.Attribute[random.Next(node.Attribute.Count)];
                        if (a.Ints.Count > 0) { a.Ints[random.Next(a.Ints.Count)] = random.Next(-3, 40); } else { a.I = random.Next(-3, 40); }
                        break;
                    case 4:
                        var t = graph.Initializer[random.Next(graph.Initializer.Count)];
                        if (t.Dims.Count > 0) { t.Dims[random.Next(t.Dims.Count)] = random.Next(0, 70); }
                        break;
                    default:
                        var nodes = graph.Node.OrderBy(_ => random.Next()).ToArray();
                        graph.Node.Clear();
                        graph.Node.AddRange(nodes);
                        break;
                }
            }

            var bytes = Google.Protobuf.MessageExtensions.ToByteArray(proto);
            var outcome = Outcome(cases, () =>
            {
                var model = OnnxModel.Load(bytes);
                var gradients = GradientModel.Build(model, new GradientRequest { Output = model.OutputNames[0], WithRespectTo = [model.InputNames[0]] });
                using var session = new GradientSession(gradients);
                session.Run(TestAssets.FashionMnistBatch(1));
            });
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Console.WriteLine($"{cases} structural cases in {clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", outcomes.Select(kv => $"{kv.Key} {kv.Value}"))}");
        Assert.IsTrue(cases >= 50, $"only {cases} cases ran within the budget");
        Assert.IsTrue(outcomes.ContainsKey("ok") && outcomes.Count > 1, "the mutations should produce both successes and refusals");
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

    /// <summary>
    /// One to eight byte flips, a truncation, or both. With <paramref name="headerBias"/> half the flips land in the
    /// first 128 bytes (an .npy header); with <paramref name="structureBias"/> half land in the first 16 KiB or the last
    /// KiB of an ONNX file, where protobuf serialises the nodes (graph field 1) and the inputs and outputs (fields 11,
    /// 12), rather than in the weights between them.
    /// </summary>
    private static byte[] Mutate(byte[] original, Random random, bool headerBias = false, bool structureBias = false)
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
                if (structureBias && random.Next(2) == 0)
                {
                    at = random.Next(2) == 0 ? random.Next(Math.Min(bytes.Length, 16 << 10)) : bytes.Length - 1 - random.Next(Math.Min(bytes.Length, 1 << 10));
                }

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
