using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Sanity checks of Adebayo, Gilmer, Muelly, Goodfellow, Hardt and Kim, "Sanity Checks for Saliency Maps" (NeurIPS
/// 2018). Model-parameter randomisation: in a copy of the ONNX model, the float initializers (weights and biases) of
/// each Conv/Gemm/MatMul layer are replaced, from the top layer down, by seeded Gaussian values N(0, σ²) with σ the
/// standard deviation of the original tensor (the layer's scale is kept, its learned structure destroyed); the
/// explanations of each stage are compared with the original ones by Spearman rank correlation (signed and absolute)
/// and SSIM. A method that depends on the model shows similarity falling towards 0; one that does not (an edge
/// detector) stays near 1. The random-logit test (Sixt, Granz and Landgraf, "When Explanations Lie: Why Many
/// Modified BP Attributions Fail", ICML 2020) compares the explanation of the target class with that of a random
/// other class.
/// </summary>
public static class ModelRandomisation
{
    /// <summary>The layers (node names, graph order) whose parameters the test re-initialises.</summary>
    public static IReadOnlyList<string> Layers(OnnxModel model, RandomisationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new RandomisationOptions();
        var floats = model.FloatInitializerNames.ToHashSet(StringComparer.Ordinal);
        return model.Nodes
            .Where(node => options.LayerOperators.Contains(node.OpType) && node.Inputs.Any(floats.Contains))
            .Select(NodeName)
            .ToArray();
    }

    /// <summary>A copy of <paramref name="model"/> whose named layers have re-initialised float parameters.</summary>
    /// <exception cref="ArgumentException">A name is not a layer of the model.</exception>
    public static OnnxModel Randomise(OnnxModel model, IReadOnlyCollection<string> layers, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        var floats = model.FloatInitializerNames.ToHashSet(StringComparer.Ordinal);
        var nodes = model.Nodes.ToDictionary(NodeName, StringComparer.Ordinal);
        var fresh = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            if (!nodes.TryGetValue(layer, out var node))
            {
                throw new ArgumentException($"The model has no node named '{layer}'.", nameof(layers));
            }

            foreach (var input in node.Inputs.Where(floats.Contains))
            {
                var values = model.GetFloatInitializer(input).Values;
                double mean = values.Length > 0 ? values.Average(v => (double)v) : 0;
                double std = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length) : 0;
                if (std == 0)
                {
                    std = 0.01;
                }

                var random = new Random(Seeds.Derive(seed, StableHash(layer), StableHash(input)));
                var replaced = new float[values.Length];
                for (int i = 0; i < replaced.Length; i++)
                {
                    replaced[i] = (float)(std * NoisyLinearImputer.Gaussian(random));
                }

                fresh[input] = replaced;
            }
        }

        return model.WithFloatInitializers(fresh);
    }

    /// <summary>Runs the model-parameter randomisation test.</summary>
    /// <param name="model">The model under test.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explain">Explains a batch with a given model; explanations must have the inputs' shape. Called once for the original model and once per stage; keep its target rule fixed (e.g. the original model's predictions).</param>
    /// <param name="options">Layer operators, cascading or independent, seed, SSIM window; null for the defaults.</param>
    /// <param name="progress">Reports stages done.</param>
    /// <param name="cancellationToken">Checked between stages.</param>
    /// <returns>One stage per layer (or per chosen layer, see <see cref="RandomisationOptions.MaxStages"/>), top layer first.</returns>
    /// <exception cref="EvaluationInputException">Empty inputs, a delegate result of the wrong shape or with NaN, or a model with no layer to randomise.</exception>
    public static IReadOnlyList<RandomisationStage> Run(
        OnnxModel model, FloatTensor inputs, Func<OnnxModel, FloatTensor, FloatTensor> explain, RandomisationOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(explain);
        EvaluationGuard.RequireInputs(inputs);
        options ??= new RandomisationOptions();
        var layers = Layers(model, options).Reverse().ToArray();
        if (layers.Length == 0)
        {
            throw new EvaluationInputException($"The model has no {string.Join("/", options.LayerOperators)} layer with float initializers to randomise.");
        }

        var original = explain(model, inputs);
        EvaluationGuard.RequireExplanations(inputs, original);
        var layout = FeatureLayout.Of(inputs);
        var stages = new List<RandomisationStage>();
        var chosen = StageIndices(layers.Length, options.MaxStages);
        foreach (var (k, done) in chosen.Select((k, i) => (k, i + 1)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var randomised = options.Cascading ? layers[..(k + 1)] : [layers[k]];
            var explained = explain(Randomise(model, randomised, options.Seed), inputs);
            EvaluationGuard.RequireExplanations(inputs, explained);
            var (spearman, spearmanAbs, ssim) = Compare(original, explained, layout, options.SsimWindow);
            stages.Add(new RandomisationStage(layers[k], randomised, spearman, spearmanAbs, ssim));
            progress?.Report(new EvaluationProgress("randomisation", done, chosen.Length));
        }

        return stages;
    }

    /// <summary>
    /// The random-logit test: each sample's explanation for its target class against its explanation for a class drawn
    /// uniformly (seeded) from the other classes. High similarity means the method ignores the class.
    /// </summary>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="targets">The target class of each sample.</param>
    /// <param name="classCount">Number of classes (at least 2).</param>
    /// <param name="explain">Explains a batch for one class per row; explanations must have the inputs' shape.</param>
    /// <param name="seed">Seed of the random classes.</param>
    /// <param name="ssimWindow">Side of the SSIM window.</param>
    /// <returns>The comparison (as a stage named "random-logit") and the random class of each sample.</returns>
    /// <exception cref="EvaluationInputException">Empty inputs, wrong target count, out-of-range targets or wrong explanation shapes.</exception>
    public static (RandomisationStage Similarity, long[] RandomClasses) RandomLogit(
        FloatTensor inputs, long[] targets, int classCount, Func<FloatTensor, long[], FloatTensor> explain, int seed = 0, int ssimWindow = 7)
    {
        EvaluationGuard.RequireInputs(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(explain);
        EvaluationGuard.CheckTargets(targets, inputs.BatchSize);
        if (classCount < 2 || targets.Any(t => t < 0 || t >= classCount))
        {
            throw new EvaluationInputException($"The random-logit test needs at least 2 classes and every target in [0, {classCount}).");
        }

        var others = RandomClasses(targets, classCount, seed);
        var a = explain(inputs, targets);
        var b = explain(inputs, others);
        EvaluationGuard.RequireExplanations(inputs, a);
        EvaluationGuard.RequireExplanations(inputs, b);
        var (spearman, spearmanAbs, ssim) = Compare(a, b, FeatureLayout.Of(inputs), ssimWindow);
        return (new RandomisationStage("random-logit", [], spearman, spearmanAbs, ssim), others);
    }

    /// <summary>For each target, a class drawn uniformly (seeded) from the other classes.</summary>
    internal static long[] RandomClasses(long[] targets, int classCount, int seed)
    {
        var random = new Random(seed);
        return targets.Select(t =>
        {
            long r = random.Next(classCount - 1);
            return r >= t ? r + 1 : r;
        }).ToArray();
    }

    /// <summary>The stage indices (0 = top layer) to report: all, or at most <paramref name="maxStages"/> evenly spaced ending at the last.</summary>
    private static int[] StageIndices(int layers, int? maxStages)
    {
        if (maxStages is not { } max || max >= layers)
        {
            return Enumerable.Range(0, layers).ToArray();
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxStages));
        return Enumerable.Range(1, max).Select(i => (int)Math.Round((double)i * layers / max) - 1).Distinct().ToArray();
    }

    private static (double[] Spearman, double[] SpearmanAbs, double[] Ssim) Compare(FloatTensor a, FloatTensor b, FeatureLayout layout, int window)
    {
        int n = a.BatchSize;
        var spearman = new double[n];
        var spearmanAbs = new double[n];
        var ssim = new double[n];
        for (int i = 0; i < n; i++)
        {
            var ra = a.Row(i).ToArray().Select(v => (double)v).ToArray();
            var rb = b.Row(i).ToArray().Select(v => (double)v).ToArray();
            spearman[i] = ra.Length > 1 ? Similarity.Spearman(ra, rb) : 1;
            spearmanAbs[i] = ra.Length > 1 ? Similarity.Spearman(ra.Select(Math.Abs).ToArray(), rb.Select(Math.Abs).ToArray()) : 1;
            ssim[i] = Similarity.ExplanationSsim(a.Row(i), b.Row(i), layout, absolute: true, window);
        }

        return (spearman, spearmanAbs, ssim);
    }

    private static string NodeName(OnnxNode node) =>
        string.IsNullOrEmpty(node.Name) ? $"{node.OpType}#{node.Index}" : node.Name;

    private static int StableHash(string text)
    {
        unchecked
        {
            int h = (int)2166136261;
            foreach (var ch in text)
            {
                h = (h ^ ch) * 16777619;
            }

            return h;
        }
    }
}
