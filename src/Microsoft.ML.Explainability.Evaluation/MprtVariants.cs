using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// The two MPRT variants of Hedström, Weber, Krakowczyk, Bareeva, Motzkus, Samek, Lapuschkin and Höhne, "Sanity Checks
/// Revisited: An Exploration to Repair the Model Parameter Randomisation Test" (XAI in Action workshop, NeurIPS 2023).
/// Both compare explanations of the original model with explanations of a copy whose Conv/Gemm/MatMul parameters are
/// all re-initialised (<see cref="ModelRandomisation.Randomise"/>; the last stage of the cascade, which is where
/// Quantus's efficient MPRT looks and where smooth MPRT's cascade ends); the explanation method is called through a
/// delegate taking the model, so any method can be tested.
/// </summary>
public static class MprtVariants
{
    /// <summary>
    /// Smooth MPRT: each explanation is denoised by averaging it over <see cref="SmoothMprtOptions.Samples"/> copies of
    /// the input with Gaussian noise of σ = m·(max x − min x); the value is Spearman's ρ between the absolute, max-normalised
    /// denoised explanations of the original and the fully randomised model (Quantus's abs, normalise and
    /// correlation_spearman). Lower is better: the explanation should depend on the parameters.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, a model without layers to randomise, or the delegate returns a wrong shape or non-finite values.</exception>
    public static double[] Smooth(
        OnnxModel model, FloatTensor inputs, Func<OnnxModel, FloatTensor, FloatTensor> explain, SmoothMprtOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(explain);
        EvaluationGuard.RequireInputs(inputs);
        options ??= new SmoothMprtOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Samples, 1, nameof(options));
        var randomised = RandomiseAll(model, options.Randomisation, options.Seed);
        var random = new Random(options.Seed);
        var noisy = new FloatTensor[options.Samples];
        for (int t = 0; t < options.Samples; t++)
        {
            var data = (float[])inputs.Data.Clone();
            for (int n = 0; n < inputs.BatchSize; n++)
            {
                var row = data.AsSpan(n * inputs.RowLength, inputs.RowLength);
                float min = System.Numerics.Tensors.TensorPrimitives.Min(row), max = System.Numerics.Tensors.TensorPrimitives.Max(row);
                double sigma = options.NoiseMagnitude * (max - min);
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] += (float)(sigma * NoisyLinearImputer.Gaussian(random));
                }
            }

            noisy[t] = new FloatTensor(data, (long[])inputs.Shape.Clone());
        }

        FloatTensor Denoised(OnnxModel m, int stage)
        {
            var sum = new float[inputs.Length];
            for (int t = 0; t < noisy.Length; t++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var e = explain(m, noisy[t]);
                EvaluationGuard.RequireExplanations(inputs, e);
                System.Numerics.Tensors.TensorPrimitives.Add(sum, e.Data, sum);
            }

            progress?.Report(new EvaluationProgress("smooth-mprt", stage, 2));
            System.Numerics.Tensors.TensorPrimitives.Divide(sum, noisy.Length, sum);
            return FeatureGroups.NormaliseByMax(FeatureGroups.Abs(new FloatTensor(sum, (long[])inputs.Shape.Clone())));
        }

        var original = Denoised(model, 1);
        var random2 = Denoised(randomised, 2);
        return Enumerable.Range(0, inputs.BatchSize).Select(n =>
            Similarity.Spearman(original.Row(n).ToArray().Select(v => (double)v).ToArray(), random2.Row(n).ToArray().Select(v => (double)v).ToArray())).ToArray();
    }

    /// <summary>
    /// Efficient MPRT (eMPRT): the ratio H(Φ(f̃, x)) / H(Φ(f, x)) of the discrete entropies (nats) of the explanations'
    /// histograms (<see cref="EfficientMprtOptions.Bins"/> equal bins over each explanation's own [min, max], Quantus's
    /// discrete_entropy on raw values), f̃ the fully randomised model and Φ(f, x) the given explanations. Above 1 when
    /// randomisation makes the explanation more complex, as it should; higher is better. NaN when the original
    /// explanation is constant (entropy 0).
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, a model without layers to randomise, or the delegate returns a wrong shape or non-finite values.</exception>
    public static double[] Efficient(
        OnnxModel model, FloatTensor inputs, FloatTensor explanations, Func<OnnxModel, FloatTensor, FloatTensor> explain, EfficientMprtOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(explain);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new EfficientMprtOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Bins, 1, nameof(options));
        var randomised = explain(RandomiseAll(model, options.Randomisation, options.Seed), inputs);
        EvaluationGuard.RequireExplanations(inputs, randomised);
        return Enumerable.Range(0, inputs.BatchSize).Select(n =>
        {
            double before = HistogramEntropy(explanations.Row(n), options.Bins);
            return before > 0 ? HistogramEntropy(randomised.Row(n), options.Bins) / before : double.NaN;
        }).ToArray();
    }

    /// <summary>Entropy −Σ pᵢ ln pᵢ of the histogram of <paramref name="values"/> over <paramref name="bins"/> equal bins of [min, max] (the maximum in the last bin, as NumPy).</summary>
    internal static double HistogramEntropy(ReadOnlySpan<float> values, int bins)
    {
        float min = System.Numerics.Tensors.TensorPrimitives.Min(values), max = System.Numerics.Tensors.TensorPrimitives.Max(values);
        if (max <= min)
        {
            return 0;
        }

        var counts = new int[bins];
        double width = ((double)max - min) / bins;
        foreach (var v in values)
        {
            counts[Math.Min(bins - 1, (int)((v - (double)min) / width))]++;
        }

        double h = 0;
        foreach (var c in counts)
        {
            if (c > 0)
            {
                double p = (double)c / values.Length;
                h -= p * Math.Log(p);
            }
        }

        return h;
    }

    private static OnnxModel RandomiseAll(OnnxModel model, RandomisationOptions options, int seed)
    {
        var layers = ModelRandomisation.Layers(model, options);
        if (layers.Count == 0)
        {
            throw new EvaluationInputException($"The model has no {string.Join("/", options.LayerOperators)} layer with float initializers to randomise.");
        }

        return ModelRandomisation.Randomise(model, [.. layers], seed);
    }
}
