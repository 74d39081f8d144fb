namespace Microsoft.ML.Explainability.Runtime;

/// <summary>
/// A Hessian-vector product the engine computes next to the first-order gradients: for the seeded score y (per row,
/// y = ⟨seed, output⟩) and a tensor A whose gradient G = ∂y/∂A is requested, the product
/// (H·v)ᵢ = Σⱼ ∂²y/∂Aᵢ∂Aⱼ · vⱼ = ∂⟨G, v⟩/∂Aᵢ, with v held constant. It is built by differentiating the engine's own
/// backward graph a second time (reverse over reverse): the gradient of ⟨G, v⟩ flows back through the backward nodes
/// that compute G and the forward nodes between A and y, and is returned as output
/// <see cref="GradientModel.HessianVectorOutput"/>(A) of the same ONNX Runtime call.
/// </summary>
/// <remarks>
/// Integer and boolean tensors (indices, shapes, the masks of ReLU, max-pooling and Max/Min) are constants of the
/// second differentiation, as they are of the first: a mask derived from forward values is piecewise constant, so the
/// product is exact wherever no input sits on a kink, and a piecewise-linear path contributes nothing (a network made
/// of Conv, ReLU, pooling and Gemm under a logit target has H·v = 0, as PyTorch's double backward gives). Shapley-CAM
/// (Cai et al., 2025, arXiv:2501.06261) uses v = A.
/// </remarks>
/// <param name="Tensor">The tensor A, which must also be listed in <see cref="GradientRequest.WithRespectTo"/>.</param>
/// <param name="Vector">Where v comes from: A's own (detached) value, or a caller-fed input.</param>
public sealed record HessianVectorProduct(string Tensor, HessianVector Vector = HessianVector.TensorValue);

/// <summary>The vector v of a <see cref="HessianVectorProduct"/>.</summary>
public enum HessianVector
{
    /// <summary>v = A's own value, treated as a constant (H·A, Shapley-CAM's product).</summary>
    TensorValue,

    /// <summary>
    /// v is fed by the caller as input <see cref="GradientModel.HessianVectorInput"/>(A), of A's shape, among the inputs
    /// of <see cref="GradientSession.Run(IReadOnlyDictionary{string, FloatTensor}, long[], FloatTensor, CancellationToken)"/>.
    /// </summary>
    Given,
}
