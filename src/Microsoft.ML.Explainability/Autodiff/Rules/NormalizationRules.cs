using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of normalisation layers.</summary>
internal static class NormalizationRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("BatchNormalization", BatchNormalization),
        new("LayerNormalization", LayerNormalization),
        new("InstanceNormalization", InstanceNormalization),
    ];

    /// <summary>
    /// Inference-mode Y = scale·(X − mean)/√(var + ε) + B per channel (axis 1), ε default 1e-5. With s = 1/√(var + ε):
    /// dX = dY·scale·s; dscale = Σ dY·(X − mean)·s; dB = Σ dY; dmean = −scale·s·Σ dY;
    /// dvar = −½·scale·s³·Σ dY·(X − mean), the sums over every axis but the channel axis. Training mode (batch
    /// statistics) is not supported.
    /// </summary>
    public static void BatchNormalization(GradientContext c)
    {
        var g = c.Graph;
        if (c.Int("training_mode", 0) != 0)
        {
            throw c.Unsupported("training_mode = 1 (normalisation by batch statistics) is not supported; export the model in inference mode.");
        }

        var dY = c.OutputGradient(0)!;
        int rank = c.InputInfo(0).Rank;
        if (rank < 2)
        {
            throw c.Unsupported($"the input has rank {rank}; BatchNormalization needs [N, C, …].");
        }

        // Per-channel [C] vectors are reshaped to [C, 1, …, 1] so they broadcast along axis 1 of X.
        var channelShape = g.Int64s([-1, .. Enumerable.Repeat(1L, rank - 2)]);
        string PerChannel(string v) => rank == 2 ? v : g.Reshape(v, channelShape);
        var otherAxes = Enumerable.Range(0, rank).Where(a => a != 1).Select(a => (long)a).ToArray();
        string ChannelSum(string v) => g.ReduceSum(v, otherAxes, keepDims: false);

        var epsilon = c.Scalar(c.Float("epsilon", 1e-5f));
        var invStd = g.Node("Reciprocal", [g.Node("Sqrt", [g.Add(c.Input(4), epsilon)])]);
        var factor = g.Mul(c.Input(1), invStd);
        if (c.NeedsInputGradient(0))
        {
            c.SetInputGradient(0, g.Mul(dY, PerChannel(factor)));
        }

        string? centred = null;
        string Centred() => centred ??= g.Sub(c.Input(0), PerChannel(c.Input(3)));
        if (c.NeedsInputGradient(1))
        {
            c.SetInputGradient(1, g.Mul(ChannelSum(g.Mul(dY, Centred())), invStd));
        }

        string? dYSum = null;
        string DYSum() => dYSum ??= ChannelSum(dY);
        if (c.NeedsInputGradient(2))
        {
            c.SetInputGradient(2, DYSum());
        }

        if (c.NeedsInputGradient(3))
        {
            c.SetInputGradient(3, g.Neg(g.Mul(DYSum(), factor)));
        }

        if (c.NeedsInputGradient(4))
        {
            var invStd3 = g.Mul(invStd, g.Mul(invStd, invStd));
            var coefficient = g.Mul(g.Mul(c.Input(1), invStd3), c.Scalar(-0.5));
            c.SetInputGradient(4, g.Mul(ChannelSum(g.Mul(dY, Centred())), coefficient));
        }
    }

    /// <summary>
    /// Y = X̂·scale + B with X̂ = (X − μ)/σ over the axes [axis, rank) (axis default −1, ε default 1e-5). μ and σ are
    /// recomputed; with G = dY·scale and means over the normalised axes:
    /// dX = (G − mean(G) − X̂·mean(G·X̂))/σ; dscale = Σ dY·X̂ and dB = Σ dY over the leading axes (and any axis
    /// scale/B were broadcast along). Only output 0 (Y) may carry a gradient; Mean and InvStdDev may not.
    /// </summary>
    public static void LayerNormalization(GradientContext c)
    {
        if (c.OutputGradient(1) is not null || c.OutputGradient(2) is not null)
        {
            throw c.Unsupported("gradients flowing into the Mean or InvStdDev outputs are not supported.");
        }

        int rank = c.InputInfo(0).Rank;
        long axis = c.Int("axis", -1);
        if (axis < -rank || axis >= rank)
        {
            throw c.Unsupported($"axis {axis} is out of range for rank {rank}.");
        }

        if (axis < 0)
        {
            axis += rank;
        }

        var axes = Enumerable.Range((int)axis, rank - (int)axis).Select(a => (long)a).ToArray();
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        if (c.NeedsInputGradient(0) || c.NeedsInputGradient(1))
        {
            var (normalized, invStd) = Standardize(c, axes);
            if (c.NeedsInputGradient(0))
            {
                c.SetInputGradient(0, NormalizedBackward(c, g.Mul(dY, c.Input(1)), normalized, invStd, axes));
            }

            if (c.NeedsInputGradient(1))
            {
                ElementwiseRules.SetReduced(c, 1, g.Mul(dY, normalized));
            }
        }

        if (c.HasInput(2))
        {
            ElementwiseRules.SetReduced(c, 2, dY);
        }
    }

    /// <summary>
    /// Y = scale·X̂ + B per channel, X̂ = (X − μ)/σ over the spatial axes [2, rank) of each (n, c), ε default 1e-5:
    /// with G = dY·scale, dX = (G − mean(G) − X̂·mean(G·X̂))/σ; dscale = Σ dY·X̂ and dB = Σ dY over every axis but 1.
    /// </summary>
    public static void InstanceNormalization(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        int rank = c.InputInfo(0).Rank;
        if (rank < 3)
        {
            throw c.Unsupported($"the input has rank {rank}; InstanceNormalization needs [N, C, D1, …].");
        }

        var axes = Enumerable.Range(2, rank - 2).Select(a => (long)a).ToArray();
        var otherAxes = Enumerable.Range(0, rank).Where(a => a != 1).Select(a => (long)a).ToArray();
        if (c.NeedsInputGradient(0) || c.NeedsInputGradient(1))
        {
            var (normalized, invStd) = Standardize(c, axes);
            if (c.NeedsInputGradient(0))
            {
                var scale = g.Reshape(c.Input(1), g.Int64s([-1, .. Enumerable.Repeat(1L, rank - 2)]));
                c.SetInputGradient(0, NormalizedBackward(c, g.Mul(dY, scale), normalized, invStd, axes));
            }

            if (c.NeedsInputGradient(1))
            {
                c.SetInputGradient(1, g.ReduceSum(g.Mul(dY, normalized), otherAxes, keepDims: false));
            }
        }

        if (c.NeedsInputGradient(2))
        {
            c.SetInputGradient(2, g.ReduceSum(dY, otherAxes, keepDims: false));
        }
    }

    /// <summary>X̂ = (X − μ)·σ⁻¹ and σ⁻¹ = 1/√(mean((X − μ)²) + ε) over <paramref name="axes"/> (kept as size-1 axes).</summary>
    private static (string Normalized, string InvStd) Standardize(GradientContext c, long[] axes)
    {
        var g = c.Graph;
        var x = c.Input(0);
        var centred = g.Sub(x, g.ReduceMean(x, axes, keepDims: true));
        var variance = g.ReduceMean(g.Mul(centred, centred), axes, keepDims: true);
        var invStd = g.Node("Reciprocal", [g.Node("Sqrt", [g.Add(variance, c.Scalar(c.Float("epsilon", 1e-5f)))])]);
        return (g.Mul(centred, invStd), invStd);
    }

    /// <summary>The input gradient of a standardisation given G = dL/dX̂: (G − mean(G) − X̂·mean(G·X̂))·σ⁻¹.</summary>
    private static string NormalizedBackward(GradientContext c, string gradNormalized, string normalized, string invStd, long[] axes)
    {
        GraphEmitter g = c.Graph;
        var meanG = g.ReduceMean(gradNormalized, axes, keepDims: true);
        var meanGx = g.ReduceMean(g.Mul(gradNormalized, normalized), axes, keepDims: true);
        return g.Mul(g.Sub(g.Sub(gradNormalized, meanG), g.Mul(normalized, meanGx)), invStd);
    }
}
