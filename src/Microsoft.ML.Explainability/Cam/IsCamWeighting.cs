namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// IS-CAM (Naidu et al., "IS-CAM: Integrated Score-CAM for axiomatic-based explanations", 2020) as torch-cam's
/// <c>ISCAM</c> with its default of 10 samples: <see cref="TorchCamScoreWeighting"/> with unperturbed masks and the
/// cumulative factors cₛ = Σᵢ₌₁ˢ⁺¹ i/S (torch-cam's <c>coeff += (sidx + 1) / num_samples</c>, s = 0 … S − 1).
/// </summary>
internal sealed class IsCamWeighting : TorchCamScoreWeighting
{
    public const int DefaultSamples = 10;

    protected override int Samples(CamOptions options) => options.Samples ?? DefaultSamples;

    protected override double Scale(int sample, int samples) => (sample + 1) * (sample + 2) / 2.0 / samples;
}
