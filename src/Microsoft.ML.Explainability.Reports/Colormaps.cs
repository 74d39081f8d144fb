namespace Microsoft.ML.Explainability.Reports;

/// <summary>
/// The colormaps of <see cref="HeatmapColormap"/> as piecewise-linear functions of t ∈ [0, 1] in sRGB. Jet is
/// matplotlib's definition (its breakpoints, exact). Inferno and viridis are matplotlib's perceptually uniform maps
/// given by their colours at ten evenly spaced points (the published CC0 data sampled at t = k/9) and linearly
/// interpolated between them; the largest deviation from the 256-entry tables is a few units of 255, invisible in
/// an overlay.
/// </summary>
internal static class Colormaps
{
    // matplotlib's jet: (t, value) breakpoints per channel.
    private static readonly (double T, double V)[] JetRed = [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)];
    private static readonly (double T, double V)[] JetGreen = [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)];
    private static readonly (double T, double V)[] JetBlue = [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)];

    private static readonly uint[] Inferno = [0x000004, 0x1B0C42, 0x4B0C6B, 0x781C6D, 0xA52C60, 0xCF4446, 0xED6925, 0xFB9A06, 0xF7D03C, 0xFCFFA4];
    private static readonly uint[] Viridis = [0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725];

    /// <summary>The colour at <paramref name="t"/> (clamped to [0, 1]).</summary>
    public static (byte R, byte G, byte B) Color(HeatmapColormap colormap, double t)
    {
        t = double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1);
        return colormap switch
        {
            HeatmapColormap.Jet => (ToByte(Segment(JetRed, t)), ToByte(Segment(JetGreen, t)), ToByte(Segment(JetBlue, t))),
            HeatmapColormap.Viridis => Stops(Viridis, t),
            _ => Stops(Inferno, t),
        };
    }

    /// <summary>A 256-entry lookup table (index = round(255·t)).</summary>
    public static (byte R, byte G, byte B)[] Table(HeatmapColormap colormap)
    {
        var table = new (byte, byte, byte)[256];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = Color(colormap, i / 255.0);
        }

        return table;
    }

    private static double Segment((double T, double V)[] points, double t)
    {
        for (int i = 1; i < points.Length; i++)
        {
            if (t <= points[i].T)
            {
                var (t0, v0) = points[i - 1];
                var (t1, v1) = points[i];
                return v0 + ((v1 - v0) * (t - t0) / (t1 - t0));
            }
        }

        return points[^1].V;
    }

    private static (byte, byte, byte) Stops(uint[] stops, double t)
    {
        double position = t * (stops.Length - 1);
        int i = Math.Min((int)position, stops.Length - 2);
        double f = position - i;
        static double Channel(uint rgb, int shift) => (rgb >> shift) & 0xFF;
        byte Mix(int shift) => (byte)Math.Round(Channel(stops[i], shift) + ((Channel(stops[i + 1], shift) - Channel(stops[i], shift)) * f));
        return (Mix(16), Mix(8), Mix(0));
    }

    private static byte ToByte(double value) => (byte)Math.Round(Math.Clamp(value, 0, 1) * 255);
}
