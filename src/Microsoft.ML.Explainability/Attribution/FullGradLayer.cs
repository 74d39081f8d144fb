using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>
/// A layer whose bias FullGrad uses: the output tensor z of a Conv with a constant bias b, or of a
/// BatchNormalization, whose effective bias is b = B − μ·γ/√(σ² + ε).
/// </summary>
/// <param name="Tensor">The layer's output tensor z (the bias-gradient is ∂y/∂z ⊙ b).</param>
/// <param name="Node">"OpType 'node name'" of the producing node.</param>
/// <param name="Channels">C, the bias length.</param>
/// <param name="Height">h of the output [N, C, h, w].</param>
/// <param name="Width">w of the output.</param>
public sealed record FullGradLayer(string Tensor, string Node, int Channels, int Height, int Width);
