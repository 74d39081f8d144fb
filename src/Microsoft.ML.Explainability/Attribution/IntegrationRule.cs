namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Quadrature of the path integral ∫₀¹ ∂y/∂x(b + α(x − b)) dα of integrated gradients.</summary>
public enum IntegrationRule
{
    /// <summary>
    /// Gauss–Legendre with n nodes mapped to [0, 1]: αᵢ = (tᵢ + 1)/2, weights wᵢ/2 (Captum's default
    /// <c>gausslegendre</c>, NumPy's <c>leggauss</c>). Exact for polynomials of degree ≤ 2n − 1 in α.
    /// </summary>
    GaussLegendre,

    /// <summary>
    /// The trapezoid rule on n equally spaced points αᵢ = i/(n − 1), weights 1/(n − 1) halved at both ends (sum 1).
    /// Captum's <c>riemann_trapezoid</c> uses weights 1/n (halved at the ends), whose sum is 1 − 1/n; this library uses the
    /// exact trapezoid weights so that completeness holds for a linear model.
    /// </summary>
    RiemannTrapezoid,
}
