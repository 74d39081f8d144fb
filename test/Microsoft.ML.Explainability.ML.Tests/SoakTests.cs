using System.Diagnostics;

namespace Microsoft.ML.Explainability.ML.Tests;

/// <summary>The transformer under sustained concurrent use: same results as sequential scoring, memory flat.</summary>
[TestClass]
public sealed class SoakTests
{
    private const int EngineThreads = 8;
    private const int CursorThreads = 2;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Eight_prediction_engines_and_parallel_cursors_match_sequential_scoring_and_memory_stays_flat()
    {
        var ml = new MLContext(seed: 0);
        var (images, _) = TestData.FashionMnist(24);
        var rows = images.Select(i => new SavedPipelines.PixelRow { Input = i.Select(p => ((p / 255f) - TestData.Mean) / TestData.Std).ToArray() }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.Transforms.CopyColumns("Pixels", "Input")
            .Append(ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, BatchSize = 8, ClassColumnName = "Class" }))
            .Fit(data);

        // Sequential references: one engine row by row, one cursor over the batched view.
        var reference = ml.Model.CreatePredictionEngine<SavedPipelines.PixelRow, PipelineTests.SaliencyRow>(model);
        var single = rows.Select(r => reference.Predict(r)).Select(p => (Map: p.Saliency.ToArray(), p.Class)).ToArray();
        var batched = PipelineTests.Read(model.Transform(data), "Saliency");
        var engines = Enumerable.Range(0, EngineThreads).Select(_ => ml.Model.CreatePredictionEngine<SavedPipelines.PixelRow, PipelineTests.SaliencyRow>(model)).ToArray();

        var (startWorkingSet, startPeak) = Memory();
        var clock = Stopwatch.StartNew();
        long predictions = 0, cursorPasses = 0, mismatches = 0;
        string? firstMismatch = null;
        void Mismatch(string what)
        {
            if (Interlocked.Increment(ref mismatches) == 1)
            {
                firstMismatch = what;
            }
        }

        var threads = new List<Thread>();
        for (int t = 0; t < EngineThreads; t++)
        {
            var engine = engines[t];
            int offset = t * 3;
            threads.Add(new Thread(() =>
            {
                for (int i = 0; clock.Elapsed < Duration; i++)
                {
                    int r = (offset + i) % rows.Length;
                    var prediction = engine.Predict(rows[r]);
                    if (prediction.Class != single[r].Class || !prediction.Saliency.AsSpan().SequenceEqual(single[r].Map))
                    {
                        Mismatch($"engine row {r}");
                    }

                    Interlocked.Increment(ref predictions);
                }
            }));
        }

        for (int t = 0; t < CursorThreads; t++)
        {
            threads.Add(new Thread(() =>
            {
                while (clock.Elapsed < Duration)
                {
                    var maps = PipelineTests.Read(model.Transform(data), "Saliency");
                    for (int r = 0; r < maps.Length; r++)
                    {
                        if (!maps[r].AsSpan().SequenceEqual(batched[r]))
                        {
                            Mismatch($"cursor row {r}");
                        }
                    }

                    Interlocked.Increment(ref cursorPasses);
                }
            }));
        }

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var (endWorkingSet, endPeak) = Memory();

        TestContext.WriteLine($"soak: {clock.Elapsed.TotalSeconds:F1} s, {EngineThreads} engines made {predictions} predictions, {CursorThreads} cursor threads made {cursorPasses} passes of {rows.Length} rows, {mismatches} mismatches");
        TestContext.WriteLine($"soak memory: working set {startWorkingSet / 1048576.0:F0} MB -> {endWorkingSet / 1048576.0:F0} MB; peak working set {startPeak / 1048576.0:F0} MB at start -> {endPeak / 1048576.0:F0} MB at end");
        Assert.AreEqual(0, mismatches, $"identical to sequential scoring (first mismatch: {firstMismatch})");
        Assert.IsGreaterThan(EngineThreads * 10L, predictions, "the engines ran");
        Assert.IsGreaterThan(0L, cursorPasses, "the cursors ran");
        Assert.IsLessThan(startWorkingSet + (256L << 20), endWorkingSet, "the working set stays flat (a leak of one ONNX Runtime session or batch per call would exceed this)");
        Assert.IsLessThan(startPeak + (512L << 20), endPeak, "the peak working set stays within a generous bound");
    }

    private static (long WorkingSet, long Peak) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (process.WorkingSet64, process.PeakWorkingSet64);
    }
}
