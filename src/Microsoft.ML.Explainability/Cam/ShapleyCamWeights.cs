namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Shapley-CAM's channel weights (Cai et al., "CAMs as Shapley Value-based Explainers", 2025,
/// arXiv:2501.06261; pytorch-grad-cam's <c>ShapleyCAM</c>): wₖ = mean over space of (G − ½·H·A)ₖ, where A is the
/// layer's activations of one image, G = ∂y/∂A and H·A = ∂⟨G, A⟩/∂A with A held constant (the Hessian of y with
/// respect to A applied to A; <see cref="Runtime.HessianVector.TensorValue"/>). The map is then ReLU(Σₖ wₖ·Aₖ), as
/// Grad-CAM's. The weight is the first two terms of the Taylor expansion of the Shapley value of channel k.
/// </summary>
/// <remarks>
/// As pytorch-grad-cam computes it: y is the same target score as Grad-CAM's (the class logit by default,
/// ClassifierOutputTarget; a softmax or other target when the caller gives one); the product is
/// <c>torch.autograd.grad(grads, activations, grad_outputs=activations)</c> on the gradient built with
/// <c>create_graph=True</c>; the weight is the plain spatial mean of G − ½·H·A over the spatial axes of a 4-D (image)
/// or 5-D (volume) layer, with no ReLU and no normalisation of the weights. A layer reached only through
/// piecewise-linear ops (ReLU, max-pooling, Conv, Gemm) under a logit target has H·A = 0 (PyTorch's
/// <c>allow_unused</c> gives None, which pytorch-grad-cam replaces by 0), and Shapley-CAM is then Grad-CAM.
/// </remarks>
internal static class ShapleyCamWeights
{
    /// <summary>
    /// The weights of one image's layer, all three tensors channel-major ([C, spatial…], flattened, the same length).
    /// </summary>
    /// <param name="activations">A, only checked for its length (H·A already carries it).</param>
    /// <param name="gradient">G = ∂y/∂A.</param>
    /// <param name="hessianTimesActivations">H·A.</param>
    /// <param name="channels">C.</param>
    /// <returns>wₖ = (1/S)·Σₛ (G − ½·H·A)ₖₛ for k = 0…C−1, S the spatial size.</returns>
    /// <exception cref="ArgumentException">The lengths differ or are not a positive multiple of <paramref name="channels"/>.</exception>
    public static float[] Compute(ReadOnlySpan<float> activations, ReadOnlySpan<float> gradient, ReadOnlySpan<float> hessianTimesActivations, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if (gradient.Length != activations.Length || hessianTimesActivations.Length != activations.Length)
        {
            throw new ArgumentException($"Shapley-CAM needs A, G and H·A of one shape; their lengths are {activations.Length}, {gradient.Length} and {hessianTimesActivations.Length}.", nameof(gradient));
        }

        if (activations.Length == 0 || activations.Length % channels != 0)
        {
            throw new ArgumentException($"A layer of {activations.Length} values cannot hold {channels} channels of equal spatial size.", nameof(activations));
        }

        int spatial = activations.Length / channels;
        var weights = new float[channels];
        for (int k = 0; k < channels; k++)
        {
            double sum = 0;
            for (int s = k * spatial; s < (k + 1) * spatial; s++)
            {
                sum += gradient[s] - (0.5 * hessianTimesActivations[s]);
            }

            weights[k] = (float)(sum / spatial);
        }

        return weights;
    }
}
