namespace Microsoft.ML.Explainability.Cam;

/// <summary>Seeded Gaussian noise for the smoothed CAM methods (SS-CAM, Smooth Grad-CAM++).</summary>
internal static class CamNoise
{
    /// <summary>A standard normal sample (Box–Muller).</summary>
    public static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
