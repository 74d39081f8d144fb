namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Deterministic seed derivation (unlike <see cref="HashCode"/>, which is randomised per process).</summary>
internal static class Seeds
{
    /// <summary>A seed derived from a base seed and indices by the SplitMix64 finaliser.</summary>
    public static int Derive(int seed, params int[] indices)
    {
        ulong h = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL);
        foreach (var i in indices)
        {
            h = unchecked(h + ((ulong)(uint)i * 0xBF58476D1CE4E5B9UL) + 0x9E3779B97F4A7C15UL);
            h = unchecked((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL);
            h = unchecked((h ^ (h >> 27)) * 0x94D049BB133111EBUL);
            h ^= h >> 31;
        }

        return unchecked((int)(h & 0x7FFFFFFF));
    }
}
