namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Random-CAM (pytorch-grad-cam's <c>RandomCAM</c>): wₖ drawn uniformly from [−1, 1) for every image and channel,
/// map = Σₖ wₖAᵏ. A baseline for sanity checks (Adebayo et al., NeurIPS 2018): a method whose faithfulness scores do
/// not beat it explains nothing. Seeded with 0 per explainer, so results repeat; thread-safe.
/// </summary>
internal sealed class RandomCamWeighting : CamWeighting
{
    private readonly Random _random = new(0);
    private readonly Lock _gate = new();

    public override bool UsesGradients => false;

    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map)
    {
        var weights = new double[channels];
        lock (_gate)
        {
            for (int k = 0; k < channels; k++)
            {
                weights[k] = (_random.NextDouble() * 2) - 1;
            }
        }

        WeightedSum(a, weights, channels, cells, map);
    }
}
