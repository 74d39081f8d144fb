using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Robustness metrics that re-run the explanation method on perturbed inputs through a delegate (a batch [M, …] to its
/// explanations of the same shape, for the caller's fixed target rule), so any method can be evaluated. Lower is
/// better for all of them.
/// </summary>
public static class Robustness
{
    /// <summary>
    /// Local Lipschitz estimate of Alvarez-Melis and Jaakkola, "On the Robustness of Interpretability Methods" (ICML
    /// 2018 WHI workshop): L(x) = max_{x'} ‖Φ(x) − Φ(x')‖₂ / ‖x − x'‖₂ over Gaussian perturbations x' = x + N(0, σ²).
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, or the delegate returns a wrong shape or non-finite values.</exception>
    public static double[] LocalLipschitz(
        FloatTensor inputs, Func<FloatTensor, FloatTensor> explain, LocalLipschitzOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        LocalLipschitz(inputs, MaxSensitivity.Adapt(explain), options, progress, cancellationToken);

    internal static double[] LocalLipschitz(
        FloatTensor inputs, Func<FloatTensor, int, FloatTensor> explain, LocalLipschitzOptions? options,
        IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        EvaluationGuard.RequireInputs(inputs);
        ArgumentNullException.ThrowIfNull(explain);
        options ??= new LocalLipschitzOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Samples, 1, nameof(options));
        var result = new double[inputs.BatchSize];
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var random = new Random(Seeds.Derive(options.Seed, n));
            var stack = Stack(inputs, n, options.Samples, (row, _) =>
            {
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] += (float)(options.NoiseStd * NoisyLinearImputer.Gaussian(random));
                }
            });
            var explained = Explain(explain, stack, n, options.NormaliseByMax, absolute: false);
            double max = 0;
            for (int k = 1; k <= options.Samples; k++)
            {
                double dx = Distance(stack.Row(0), stack.Row(k), 2);
                max = Math.Max(max, dx > 0 ? Distance(explained.Row(0), explained.Row(k), 2) / dx : 0);
            }

            result[n] = max;
            progress?.Report(new EvaluationProgress("local-lipschitz-estimate", n + 1, inputs.BatchSize));
        }

        return result;
    }

    /// <summary>
    /// Continuity of Montavon, Samek and Müller, "Methods for interpreting and understanding deep neural networks"
    /// (Digital Signal Processing 2018), as in Quantus: the input is translated horizontally by t pixels (the columns
    /// shifted right for t &gt; 0, left for t &lt; 0, vacated columns set to the sample's minimum, "black"), for
    /// t = −W + k·⌊(2W + 1)/K⌋, k = 1…K, and the value is max_t ‖Φ(x) − Φ(x_t)‖₁ / (‖x − x_t‖₂ + 1e-9), with
    /// explanations made absolute and divided by their maximum (<see cref="ContinuityOptions.AbsoluteNormalised"/>).
    /// Needs images [N, C, H, W] or [N, H, W].
    /// </summary>
    /// <exception cref="EvaluationInputException">Inputs without a spatial grid, or the delegate returns a wrong shape or non-finite values.</exception>
    public static double[] Continuity(
        FloatTensor inputs, Func<FloatTensor, FloatTensor> explain, ContinuityOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Continuity(inputs, MaxSensitivity.Adapt(explain), options, progress, cancellationToken);

    internal static double[] Continuity(
        FloatTensor inputs, Func<FloatTensor, int, FloatTensor> explain, ContinuityOptions? options,
        IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        EvaluationGuard.RequireInputs(inputs);
        ArgumentNullException.ThrowIfNull(explain);
        options ??= new ContinuityOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Steps, 1, nameof(options));
        if (inputs.Rank is not (3 or 4))
        {
            throw new EvaluationInputException($"Continuity translates images [N, C, H, W] or [N, H, W]; the inputs have shape {inputs.ShapeText}.");
        }

        var layout = FeatureLayout.Of(inputs);
        int width = layout.Width, dx = ((2 * width) + 1) / options.Steps;
        var shifts = Enumerable.Range(1, options.Steps).Select(k => -width + (k * dx)).ToArray();
        var result = new double[inputs.BatchSize];
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var x = inputs.Row(n).ToArray();
            float black = x.Min();
            var stack = Stack(inputs, n, shifts.Length, (row, k) => Translate(x, row, layout, shifts[k - 1], black));
            var explained = Explain(explain, stack, n, options.AbsoluteNormalised, options.AbsoluteNormalised);
            double max = 0;
            for (int k = 1; k <= shifts.Length; k++)
            {
                max = Math.Max(max, Distance(explained.Row(0), explained.Row(k), 1) / (Distance(stack.Row(0), stack.Row(k), 2) + 1e-9));
            }

            result[n] = max;
            progress?.Report(new EvaluationProgress("continuity", n + 1, inputs.BatchSize));
        }

        return result;
    }

    /// <summary>
    /// Relative input stability of Agarwal et al., "Rethinking Stability for Attribution-based Explanations" (ICLR 2022
    /// PAIR2Struct workshop): RIS = max_{x'} ‖(e_x − e_x')/e_x‖ / max(‖(x − x')/x‖, ε_min), element-wise ratios with
    /// zero denominators replaced by ε_min (Frobenius norms over the sample), over uniform perturbations x' whose
    /// predicted class stays that of x (the others are dropped; NaN when all are).
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, or the delegate returns a wrong shape or non-finite values.</exception>
    public static double[] RelativeInputStability(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, Func<FloatTensor, FloatTensor> explain, RelativeStabilityOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Relative(scorer, inputs, explanations, MaxSensitivity.Adapt(explain), options, RelativeKind.Input, null, progress, cancellationToken);

    /// <summary>
    /// Relative output stability of Agarwal et al. (2022): ROS = max_{x'} ‖(e_x − e_x')/e_x‖ / ‖h(x) − h(x')‖₂ with h the
    /// model's output (logits), the same draws and dropping rule as <see cref="RelativeInputStability"/>.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, or the delegate returns a wrong shape or non-finite values.</exception>
    public static double[] RelativeOutputStability(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, Func<FloatTensor, FloatTensor> explain, RelativeStabilityOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Relative(scorer, inputs, explanations, MaxSensitivity.Adapt(explain), options, RelativeKind.Output, null, progress, cancellationToken);

    /// <summary>
    /// Relative representation stability of Agarwal et al. (2022): RRS = max_{x'} ‖(e_x − e_x')/e_x‖ / ‖(L(x) − L(x'))/L(x)‖
    /// with L an internal representation of the model (<paramref name="represent"/>; the registry uses the input of the
    /// last Gemm/MatMul, the penultimate features — Quantus concatenates every layer's output by default).
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, or a delegate returns a wrong shape or non-finite values.</exception>
    public static double[] RelativeRepresentationStability(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, Func<FloatTensor, FloatTensor> explain, Func<FloatTensor, FloatTensor> represent,
        RelativeStabilityOptions? options = null, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(represent);
        return Relative(scorer, inputs, explanations, MaxSensitivity.Adapt(explain), options, RelativeKind.Representation, represent, progress, cancellationToken);
    }

    /// <summary>What the relative stability divides by.</summary>
    internal enum RelativeKind
    {
        /// <summary>The relative change of the input.</summary>
        Input,

        /// <summary>The change of the logits.</summary>
        Output,

        /// <summary>The relative change of an internal representation.</summary>
        Representation,
    }

    internal static double[] Relative(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, Func<FloatTensor, int, FloatTensor> explain, RelativeStabilityOptions? options,
        RelativeKind kind, Func<FloatTensor, FloatTensor>? represent, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        string metric = kind switch { RelativeKind.Input => "relative-input-stability", RelativeKind.Output => "relative-output-stability", _ => "relative-representation-stability" };
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(explain);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new RelativeStabilityOptions();
        if (options.Samples < 1 || options.NoiseHigh < options.NoiseLow)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Relative stability needs at least one sample and NoiseLow ≤ NoiseHigh.");
        }

        var result = new double[inputs.BatchSize];
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var random = new Random(Seeds.Derive(options.Seed, n));
            var stack = Stack(inputs, n, options.Samples, (row, _) =>
            {
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] += (float)(options.NoiseLow + ((options.NoiseHigh - options.NoiseLow) * random.NextDouble()));
                }
            });
            var outputs = scorer.Outputs(stack, cancellationToken);
            var representations = kind == RelativeKind.Representation ? represent!(stack) : null;
            var explained = Explain(explain, stack, n, false, false);
            var e = explanations.Row(n).ToArray();
            var x = stack.Row(0).ToArray();
            long predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(outputs.Row(0));
            double max = double.NaN;
            for (int k = 1; k <= options.Samples; k++)
            {
                if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(outputs.Row(k)) != predicted)
                {
                    continue;
                }

                double numerator = RelativeNorm(e, explained.Row(k).ToArray(), options.EpsilonMin);
                double below = kind switch
                {
                    RelativeKind.Input => RelativeNorm(x, stack.Row(k), options.EpsilonMin),
                    RelativeKind.Output => Distance(outputs.Row(0), outputs.Row(k), 2),
                    _ => RelativeNorm(representations!.Row(0), representations.Row(k), options.EpsilonMin),
                };
                double value = numerator / Math.Max(below, options.EpsilonMin);
                max = double.IsNaN(max) ? value : Math.Max(max, value);
            }

            result[n] = max;
            progress?.Report(new EvaluationProgress(metric, n + 1, inputs.BatchSize));
        }

        return result;
    }

    /// <summary>‖(a − b) / a‖₂ with a's zero elements replaced by ε_min in the denominator.</summary>
    private static double RelativeNorm(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double epsilon)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double r = (a[i] - (double)b[i]) / (a[i] == 0 ? epsilon : a[i]);
            sum += r * r;
        }

        return Math.Sqrt(sum);
    }

    /// <summary>Row 0 is sample n, rows 1…count are copies passed through <paramref name="perturb"/> (row, copy index).</summary>
    private static FloatTensor Stack(FloatTensor inputs, int n, int count, RowPerturbation perturb)
    {
        var stack = FloatTensor.Zeros([count + 1, .. inputs.Shape.Skip(1)]);
        for (int k = 0; k <= count; k++)
        {
            inputs.Row(n).CopyTo(stack.Row(k));
            if (k > 0)
            {
                perturb(stack.Row(k), k);
            }
        }

        return stack;
    }

    private static FloatTensor Explain(Func<FloatTensor, int, FloatTensor> explain, FloatTensor stack, int sample, bool normalise, bool absolute)
    {
        var explained = explain(stack, sample);
        ArgumentNullException.ThrowIfNull(explained, nameof(explain));
        EvaluationGuard.RequireExplanations(stack, explained);
        if (absolute)
        {
            explained = FeatureGroups.Abs(explained);
        }

        return normalise ? FeatureGroups.NormaliseByMax(explained) : explained;
    }

    private static void Translate(float[] x, Span<float> row, FeatureLayout layout, int shift, float fill)
    {
        for (int c = 0; c < layout.Channels; c++)
        {
            for (int i = 0; i < layout.Height; i++)
            {
                for (int j = 0; j < layout.Width; j++)
                {
                    int source = j - shift;
                    int offset = (c * layout.Features) + (i * layout.Width);
                    row[offset + j] = source >= 0 && source < layout.Width ? x[offset + source] : fill;
                }
            }
        }
    }

    internal static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int norm)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs(a[i] - (double)b[i]);
            sum += norm == 1 ? d : d * d;
        }

        return norm == 1 ? sum : Math.Sqrt(sum);
    }
}

/// <summary>Perturbs one stacked copy in place (a delegate type, as .NET 8's Action cannot take a span).</summary>
/// <param name="row">The copy's values.</param>
/// <param name="copy">The copy's index, from 1.</param>
internal delegate void RowPerturbation(Span<float> row, int copy);
