using System.Numerics.Tensors;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>What a removed feature is replaced by (and what an insertion curve starts from).</summary>
public enum BaselineKind
{
    /// <summary>Zero in the model's input space (black for unnormalised images; the dataset mean for mean-centred ones).</summary>
    Zero,

    /// <summary>
    /// A Gaussian blur of the input itself (separable kernel, standard deviation <see cref="BaselineOptions.BlurSigma"/>
    /// pixels, radius ⌈3σ⌉, edges clamped), as in the insertion metric of RISE (Petsiuk et al., BMVC 2018).
    /// </summary>
    Blur,

    /// <summary>The per-sample, per-channel mean of the input.</summary>
    Mean,

    /// <summary>
    /// Seeded uniform noise between the input's minimum and maximum, as in the region perturbation of Samek et al.
    /// ("Evaluating the visualization of what a deep neural network has learned", IEEE TNNLS 2017).
    /// </summary>
    UniformNoise,

    /// <summary>The sample's minimum over all its elements, everywhere: Quantus's "black" baseline (black for any pixel scaling).</summary>
    Black,

    /// <summary>The sample's maximum over all its elements, everywhere: Quantus's "white" baseline.</summary>
    White,
}
