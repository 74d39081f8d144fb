namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Score curves of a perturbation metric: for each sample, the target score after removing (or inserting) the
/// fraction <see cref="Fractions"/>[k] of its features, with the area under each curve by the trapezoidal rule.
/// </summary>
public sealed class PerturbationCurves
{
    internal PerturbationCurves(string name, double[] fractions, double[][] curves)
    {
        Name = name;
        Fractions = fractions;
        Curves = curves;
        Auc = curves.Select(c => Trapezoid(fractions, c)).ToArray();
        MeanCurve = Enumerable.Range(0, fractions.Length).Select(k => curves.Average(c => c[k])).ToArray();
    }

    /// <summary>"deletion", "insertion", "morf", "lerf", "road-morf" or "road-lerf".</summary>
    public string Name { get; }

    /// <summary>The x axis: the fraction of features perturbed at each point, from the first to the last step.</summary>
    public IReadOnlyList<double> Fractions { get; }

    /// <summary>One curve per sample: the target score at each fraction.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Curves { get; }

    /// <summary>Per sample, the area under the curve, AUC = Σ_k (x_{k+1} − x_k)(y_k + y_{k+1}) / 2 over the fractions x.</summary>
    public IReadOnlyList<double> Auc { get; }

    /// <summary>
    /// Per sample, Quantus's AUC: <c>np.trapz(curve, dx=1)</c> over the perturbed points only (the unperturbed first
    /// point left out), Σ_{k=1}^{K−1} (y_k + y_{k+1}) / 2. It grows with the number of steps, which is why the
    /// default <see cref="Auc"/> integrates over the fraction axis instead.
    /// </summary>
    public IReadOnlyList<double> UnitStepAuc => Curves.Select(c => UnitTrapezoid(c.Skip(1).ToArray())).ToArray();

    /// <summary>The curve averaged over the samples.</summary>
    public IReadOnlyList<double> MeanCurve { get; }

    /// <summary><c>np.trapz(y, dx=1)</c>.</summary>
    internal static double UnitTrapezoid(IReadOnlyList<double> y)
    {
        double area = 0;
        for (int k = 0; k + 1 < y.Count; k++)
        {
            area += (y[k] + y[k + 1]) / 2;
        }

        return area;
    }

    internal static double Trapezoid(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double area = 0;
        for (int k = 0; k + 1 < x.Count; k++)
        {
            area += (x[k + 1] - x[k]) * (y[k] + y[k + 1]) / 2;
        }

        return area;
    }
}
