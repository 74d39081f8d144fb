namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>The built-in LRP rules (Zennit's formulations; stabiliser stab(z) = z + ε·sign(z), sign(0) = +1).</summary>
public static class LrpRules
{
    /// <summary>
    /// The default stabiliser ε of every rule and composite, CNN and transformer alike (Zennit's and LXT's 1e-6): the
    /// one declaration of it. Rules without an ε parameter (z⁺, αβ, γ, z^B, flat, w², Norm) stabilise with it.
    /// </summary>
    public const double DefaultEpsilon = 1e-6;

    /// <summary>LRP-ε: R_in = x ⊙ Wᵀ(R / stab_ε(Wx + b)).</summary>
    public static EpsilonRule Epsilon(double epsilon = DefaultEpsilon) => new(epsilon);

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

    /// <summary>
    /// LN-rule for LayerNormalization (Ali et al. 2022; AttnLRP's LayerNorm): σ a constant, the ε-rule on the then
    /// affine layer, R_x = x ⊙ Jᵀ(R / stab_ε(y)) with J = diag(γ)·(I − 11ᵀ/C)/σ (see <see cref="LayerNormRule"/>).
    /// </summary>
    public static LayerNormRule LayerNorm(double epsilon = DefaultEpsilon) => new(epsilon);

    /// <summary>AttnLRP's softmax rule (Achtibat et al. 2024, Prop. 3.1): R_x = x ⊙ (R − s ⊙ Σ_axis R) (see <see cref="SoftmaxRule"/>).</summary>
    public static SoftmaxRule Softmax { get; } = new();

    /// <summary>
    /// AttnLRP's uniform ε-rule for a product of two run-time tensors (MatMul): each operand gets half of the ε-rule's
    /// relevance, R_A = ½·A ⊙ (s·Bᵀ), R_B = ½·B ⊙ (Aᵀ·s), s = R / stab_ε(AB) (see <see cref="UniformRule"/>).
    /// </summary>
    public static UniformRule Uniform(double epsilon = DefaultEpsilon) => new(epsilon);

    /// <summary>
    /// The AH-rule for attention (Ali et al. 2022): in A·V the attention probabilities A are constants, so
    /// R_V = V ⊙ Aᵀ·(R / stab_ε(AV)) and nothing flows into the softmax (see <see cref="AttentionHeadRule"/>).
    /// </summary>
    public static AttentionHeadRule AttentionHead(double epsilon = DefaultEpsilon) => new(epsilon);

    /// <summary>The true gradient (shape ops, MaxPool's winner-take-all).</summary>
    public static TrueGradientRule Gradient { get; } = new();
}
