using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>ROAD curves in both orders.</summary>
public sealed class RoadResult
{
    internal RoadResult(PerturbationCurves morf, PerturbationCurves lerf)
    {
        Morf = morf;
        Lerf = lerf;
        MeanMorf = morf.Curves.Select(c => c.Average()).ToArray();
        MeanLerf = lerf.Curves.Select(c => c.Average()).ToArray();
    }

    /// <summary>Most relevant removed first (score should fall: lower is better).</summary>
    public PerturbationCurves Morf { get; }

    /// <summary>Least relevant removed first (score should stay: higher is better).</summary>
    public PerturbationCurves Lerf { get; }

    /// <summary>Per sample, the MoRF score averaged over the percentages.</summary>
    public IReadOnlyList<double> MeanMorf { get; }

    /// <summary>Per sample, the LeRF score averaged over the percentages.</summary>
    public IReadOnlyList<double> MeanLerf { get; }
}
