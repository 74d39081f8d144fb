namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// SS-CAM (Wang et al., "SS-CAM: Smoothed Score-CAM for Sharper Visual Feature Localization", 2020) as torch-cam's
/// <c>SSCAM</c> with its defaults (35 samples, σ = 2.0): <see cref="TorchCamScoreWeighting"/> with cₛ = 1 and
/// M̃ᵏₛ = Mᵏ + 𝒩(0, σ²) drawn per input pixel (shared by the input channels), fresh for every sample and channel.
/// </summary>
internal sealed class SsCamWeighting : TorchCamScoreWeighting
{
    public const int DefaultSamples = 35;
    public const double DefaultNoise = 2.0;

    protected override int Samples(CamOptions options) => options.Samples ?? DefaultSamples;

    protected override void Perturb(Span<float> mask, Random random, CamOptions options)
    {
        double sigma = options.NoiseLevel ?? DefaultNoise;
        for (int p = 0; p < mask.Length; p++)
        {
            mask[p] += (float)(sigma * CamNoise.Gaussian(random));
        }
    }
}
