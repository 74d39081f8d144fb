using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Infrastructure;

/// <summary>
/// Checks a backward graph against central finite differences in float32. The scalar checked is
/// L(x) = ⟨u, f(x)⟩ for a fixed random seed u, so the analytic gradient is the backward graph's output for seed u.
/// Tolerance: |analytic − numeric| ≤ AbsoluteTolerance·scale + RelativeTolerance·|numeric|, with scale the largest
/// analytic gradient magnitude (float32 differences at step h carry an error of about ε·|L|/h plus O(h²)).
/// </summary>
internal static class GradientCheck
{
    public const double Step = 1e-2;
    public const double RelativeTolerance = 2e-2;
    public const double AbsoluteTolerance = 2e-3;

    public static FloatTensor RandomTensor(Random random, long[] shape, double low = -1, double high = 1) =>
        new(Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(low + ((high - low) * random.NextDouble()))).ToArray(), shape);

    /// <summary>
    /// Differentiates output <paramref name="output"/> of <paramref name="model"/> with respect to each input in
    /// <paramref name="inputs"/> and compares with central differences on up to <paramref name="samples"/> coordinates per input.
    /// </summary>
    public static void AgainstFiniteDifferences(
        OnnxModel model, string output, IReadOnlyDictionary<string, FloatTensor> inputs, int samples = 24, int seed = 7,
        IReadOnlyList<string>? withRespectTo = null, double step = Step, double relativeTolerance = RelativeTolerance, GradientRuleRegistry? rules = null)
    {
        var random = new Random(seed);
        var wrt = withRespectTo ?? inputs.Keys.ToArray();
        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = output, Seed = SeedKind.Given, WithRespectTo = wrt, Rules = rules ?? GradientRuleRegistry.Default });
        using var session = new GradientSession(gradientModel, new ExecutionOptions { OptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL });
        using var forward = new Forward(model);
        var y = forward.Run(output, inputs);
        var u = RandomTensor(random, y.Shape);
        var result = session.Run(inputs, seed: u);

        foreach (var name in wrt)
        {
            var analytic = result.Gradients[name];
            var x = inputs[name];
            Assert.IsTrue(analytic.Shape.SequenceEqual(x.Shape), $"gradient of '{name}' has shape {analytic.ShapeText}, input {x.ShapeText}");
            double scale = Math.Max(1e-3, analytic.Data.Max(v => Math.Abs((double)v)));
            var coordinates = Enumerable.Range(0, x.Length).OrderBy(_ => random.Next()).Take(samples).ToArray();
            foreach (var i in coordinates)
            {
                double numeric = Directional(forward, output, inputs, name, u, t => { var d = new float[x.Length]; d[i] = 1; return d; }, step);
                double a = analytic.Data[i];
                double tolerance = (AbsoluteTolerance * scale) + (relativeTolerance * Math.Abs(numeric));
                Assert.IsTrue(Math.Abs(a - numeric) <= tolerance,
                    $"d⟨u,{output}⟩/d{name}[{i}]: analytic {a:G6}, finite difference {numeric:G6} (tolerance {tolerance:G3}, scale {scale:G3})");
            }
        }
    }

    /// <summary>(L(x + h·v) − L(x − h·v)) / 2h for direction v of input <paramref name="name"/>, accumulated in float64.</summary>
    public static double Directional(Forward forward, string output, IReadOnlyDictionary<string, FloatTensor> inputs, string name, FloatTensor u, Func<int, float[]> direction, double step)
    {
        var x = inputs[name];
        var v = direction(x.Length);
        double Evaluate(double sign)
        {
            var shifted = new float[x.Length];
            for (int k = 0; k < shifted.Length; k++)
            {
                shifted[k] = (float)(x.Data[k] + (sign * step * v[k]));
            }

            var feeds = inputs.ToDictionary(kv => kv.Key, kv => kv.Key == name ? new FloatTensor(shifted, x.Shape) : kv.Value);
            var y = forward.Run(output, feeds);
            double sum = 0;
            for (int k = 0; k < y.Length; k++)
            {
                sum += (double)y.Data[k] * u.Data[k];
            }

            return sum;
        }

        return (Evaluate(+1) - Evaluate(-1)) / (2 * step);
    }

    /// <summary>
    /// Dot-product test: ⟨J·v, u⟩ by a directional difference and ⟨v, Jᵀ·u⟩ from the backward graph, with
    /// Σ|vₖ·(Jᵀu)ₖ| as the scale the difference is judged against (the sum cancels, its terms do not).
    /// </summary>
    public static (double Forward, double Backward, double Scale) DotProduct(Forward forward, string output, IReadOnlyDictionary<string, FloatTensor> inputs, string name, FloatTensor u, FloatTensor gradient, Random random, double step)
    {
        var v = RandomTensor(random, inputs[name].Shape).Data;
        double directional = Directional(forward, output, inputs, name, u, _ => v, step);
        double adjoint = 0, scale = 0;
        for (int k = 0; k < v.Length; k++)
        {
            adjoint += (double)v[k] * gradient.Data[k];
            scale += Math.Abs((double)v[k] * gradient.Data[k]);
        }

        return (directional, adjoint, scale);
    }
}
