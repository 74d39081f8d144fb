using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Axiomatic metrics: properties an attribution should satisfy by construction.
/// </summary>
public static class Axiomatic
{
    /// <summary>
    /// Non-sensitivity of Nguyen and Rodríguez Martínez, "On quantitative aspects of model interpretability" (2020),
    /// as in Quantus: every pixel p is set to the baseline alone (one forward pass each); the value is the number of
    /// pixels where "the pixel has no attribution" (|s_p|/max|s| &lt; ε) and "the pixel has no effect"
    /// (|f(x) − f(x_{p = x̄})| &lt; ε) disagree. 0 is ideal; lower is better. Costs one forward pass per pixel.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static double[] NonSensitivity(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, NonSensitivityOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new NonSensitivityOptions();
        var layout = FeatureLayout.Of(inputs);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var baseline = Baselines.Create(inputs, options.Baseline);
        var scores = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, layout.Features + 1, (n, k, row) =>
        {
            inputs.Row(n).CopyTo(row);
            if (k > 0)
            {
                layout.CopyFeature(baseline.Row(n), row, k - 1);
            }
        }, "non-sensitivity", progress, cancellationToken);
        return Enumerable.Range(0, inputs.BatchSize).Select(n =>
        {
            var s = layout.Saliency(explanations.Row(n)).Select(Math.Abs).ToArray();
            double max = s.Max();
            int violations = 0;
            for (int p = 0; p < s.Length; p++)
            {
                bool noAttribution = (max > 0 ? s[p] / max : 0) < options.Epsilon;
                bool noEffect = Math.Abs(scores[n][0] - scores[n][p + 1]) < options.Epsilon;
                violations += noAttribution ^ noEffect ? 1 : 0;
            }

            return (double)violations;
        }).ToArray();
    }

    /// <summary>
    /// Input invariance of Kindermans et al., "The (Un)reliability of Saliency Methods" (2019): the model
    /// f̃(z) = f(z − c) sees the shifted input x + c exactly as f sees x (here c is subtracted by a Sub node put in front
    /// of a copy of the graph, the "mean shift" Quantus adds to the first layer), so an input-invariant method gives
    /// Φ(f̃, x + c) = Φ(f, x); the value is 1 when every element agrees within 1e-4 + 1e-5·|Φ(f̃, x + c)| (np.isclose with
    /// Quantus's atol), else 0. Gradients pass; input × gradient does not. Higher is better.
    /// </summary>
    /// <param name="model">The model explained.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">Φ(f, x), the inputs' shape.</param>
    /// <param name="explain">The method: a model and a batch to explanations of the batch's shape.</param>
    /// <param name="shift">The constant c added to every element. Default −1 (Quantus's input_shift).</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, a model with more than one input, or the delegate returns a wrong shape or non-finite values.</exception>
    public static double[] InputInvariance(OnnxModel model, FloatTensor inputs, FloatTensor explanations, Func<OnnxModel, FloatTensor, FloatTensor> explain, float shift = -1)
    {
        ArgumentNullException.ThrowIfNull(explain);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        ArgumentNullException.ThrowIfNull(model);
        if (model.InputNames.Count != 1)
        {
            throw new EvaluationInputException($"Input invariance shifts a model with one input; this one has {model.InputNames.Count}.");
        }

        var shiftedModel = ModelComposition.WithInputOffset(model, shift);
        var shifted = new FloatTensor(inputs.Data.Select(v => v + shift).ToArray(), (long[])inputs.Shape.Clone());
        var explained = explain(shiftedModel, shifted);
        EvaluationGuard.RequireExplanations(inputs, explained);
        return Enumerable.Range(0, inputs.BatchSize).Select(n =>
        {
            var a = explanations.Row(n);
            var b = explained.Row(n);
            for (int i = 0; i < a.Length; i++)
            {
                if (Math.Abs(a[i] - b[i]) > 1e-4 + (1e-5 * Math.Abs(b[i])))
                {
                    return 0.0;
                }
            }

            return 1.0;
        }).ToArray();
    }
}
