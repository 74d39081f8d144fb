using System.Diagnostics;

namespace Microsoft.ML.Explainability.ML.Tests;

/// <summary>Damaged saved pipelines: every load ends in the documented <see cref="InvalidDataException"/> or a working pipeline.</summary>
[TestClass]
public sealed class SavedPipelineFuzzTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Random_byte_flips_and_truncations_end_in_InvalidDataException_or_a_loaded_pipeline()
    {
        var saved = SavedPipelines.Save(new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.Saliency, BatchSize = 4 });
        var ml = new MLContext(seed: 0);
        var random = new Random(20261129);
        var clock = Stopwatch.StartNew();
        int cases = 0, refused = 0, loaded = 0;
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        // A fixed number of seeded cases, not a time box: the same files are tried however loaded the machine is.
        const int Cases = 400;
        while (cases < Cases)
        {
            var (bytes, description) = Mutate(saved, random);
            try
            {
                using var chain = ml.Model.LoadWithExplainers(new MemoryStream(bytes), out _);
                loaded++;
            }
            catch (InvalidDataException e)
            {
                refused++;
                var key = e.InnerException?.GetType().Name ?? "direct";
                kinds[key] = kinds.GetValueOrDefault(key) + 1;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {cases} ({description}) ended in {e.GetType().FullName}, not InvalidDataException: {e}");
            }

            cases++;
        }

        TestContext.WriteLine($"{cases} cases in {clock.Elapsed.TotalSeconds:F1} s: {refused} refused, {loaded} loaded; causes: {string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))}");
        Assert.IsGreaterThan(cases / 2, refused, "most damaged files are refused");
    }

    /// <summary>One damage: 1–8 flipped bytes anywhere, flips in the zip's tail (manifest, settings, central directory), or a truncation.</summary>
    private static (byte[] Bytes, string Description) Mutate(byte[] source, Random random)
    {
        int kind = random.Next(3);
        if (kind == 2)
        {
            int length = random.Next(source.Length);
            return (source[..length], $"truncated to {length} bytes");
        }

        var bytes = (byte[])source.Clone();
        int flips = random.Next(1, 9);
        int start = kind == 1 ? Math.Max(0, bytes.Length - 4096) : 0;
        var positions = new List<int>();
        for (int i = 0; i < flips; i++)
        {
            int position = random.Next(start, bytes.Length);
            bytes[position] ^= (byte)random.Next(1, 256);
            positions.Add(position);
        }

        return (bytes, $"flipped bytes at {string.Join(", ", positions)}");
    }
}
