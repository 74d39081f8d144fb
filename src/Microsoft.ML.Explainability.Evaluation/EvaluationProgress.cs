namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Progress of a long evaluation run, reported through <see cref="IProgress{T}"/> after each unit of work.</summary>
/// <param name="Metric">The metric being computed, for example "deletion" or "randomisation".</param>
/// <param name="Completed">Units finished so far (samples, or stages for the randomisation test).</param>
/// <param name="Total">Units in the whole run.</param>
public readonly record struct EvaluationProgress(string Metric, int Completed, int Total);
