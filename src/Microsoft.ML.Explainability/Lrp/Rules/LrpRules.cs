namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>The built-in LRP rules (Zennit's formulations; stabiliser stab(z) = z + ε·sign(z), sign(0) = +1).</summary>
public static class LrpRules
{
    /// <summary>LRP-ε: R_in = x ⊙ Wᵀ(R / stab_ε(Wx + b)).</summary>
    public static EpsilonRule Epsilon(double epsilon = 1e-6) => new(epsilon);

    /// <summary>LRP-z⁺ = α1β0: R_in = x⁺ ⊙ W⁺ᵀs + x⁻ ⊙ W⁻ᵀs, s = R / stab(W⁺x⁺ + W⁻x⁻ + b⁺).</summary>
    public static ZPlusRule ZPlus { get; } = new();

    /// <summary>LRP-αβ with α − β = 1 (see <see cref="AlphaBetaRule"/>).</summary>
    public static AlphaBetaRule AlphaBeta(double alpha = 2, double beta = 1) => new(alpha, beta);

    /// <summary>LRP-γ with W↑ = W + γW⁺ for positive contributions and W↓ = W + γW⁻ for negative ones (see <see cref="GammaRule"/>).</summary>
    public static GammaRule Gamma(double gamma = 0.25) => new(gamma);

    /// <summary>LRP-z^B with bounds l ≤ x ≤ h: R_in = x ⊙ Wᵀs − l ⊙ W⁺ᵀs − h ⊙ W⁻ᵀs, s = R / stab(Wx − W⁺l − W⁻h).</summary>
    public static ZBoxRule ZBox(IReadOnlyList<double> low, IReadOnlyList<double> high) => new(low, high);

    /// <summary>LRP-flat: R_in = Fᵀ(R / stab(F(1; 1)); 1).</summary>
    public static FlatRule Flat { get; } = new();

    /// <summary>LRP-w²: R_in = Fᵀ(R / stab(F(1; W², b²)); W²).</summary>
    public static WSquareRule WSquare { get; } = new();

    /// <summary>Pass: R_in = R_out (activations).</summary>
    public static PassRule Pass { get; } = new();

    /// <summary>Norm: R_aₖ = aₖ ⊙ R / stab(Σ aₖ) (sums, average pooling).</summary>
    public static NormRule Norm { get; } = new();

    /// <summary>Gate: a product by a sigmoid gate sends all relevance R_x = R_out to the feature map.</summary>
    public static GateRule Gate { get; } = new();

    /// <summary>The true gradient (shape ops, MaxPool's winner-take-all).</summary>
    public static TrueGradientRule Gradient { get; } = new();
}
