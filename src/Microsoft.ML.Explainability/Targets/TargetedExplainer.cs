using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// A method's explainer over a model with a target's score appended (<see cref="ExplanationTarget.Apply"/>): resolves
/// the class −1 from the output the target reads when the target says so (Finer), and checks each explanation with
/// the target (a detector row without a matching box is refused).
/// </summary>
internal sealed class TargetedExplainer : IExplainer
{
    private readonly IExplainer _inner;
    private readonly ExplanationTarget _target;
    private readonly ExplainerSessions _sessions;
    private readonly OnnxModel _model;
    private readonly string _read;
    private readonly Runtime.ExecutionOptions _execution;

    public TargetedExplainer(IExplainer inner, ExplanationTarget target, OnnxModel model, string read, Runtime.ExecutionOptions execution)
    {
        _execution = execution;
        _inner = inner;
        _target = target;
        _model = model;
        _read = read;
        _sessions = new ExplainerSessions(this);
    }

    public ExplanationMethod Method => _inner.Method;

    /// <summary>The target explained.</summary>
    public ExplanationTarget Target => _target;

    public Explanation Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        // The explained input is the one model input the request does not feed; when that is not exactly one input, the
        // inner explainer's request check reports the mistake.
        var others = request.Inputs ?? new Dictionary<string, Runtime.InputTensor>();
        var explained = _model.InputNames.Where(n => !others.ContainsKey(n)).ToArray();
        if (_target.PredictsFromOutput && request.Seed is null && (request.Targets is null || request.Targets.Any(t => t < 0)) && explained.Length == 1)
        {
            var feeds = new Dictionary<string, Runtime.InputTensor>(others, StringComparer.Ordinal) { [explained[0]] = Runtime.InputTensor.Float(request.Batch) };
            var outputs = _sessions.Get("forward", () => new ForwardRunner(_model, [_read], _execution)).Run(feeds, request.Cancellation)[_read];
            var classes = ExplainedModel.Resolve(request.Targets ?? Enumerable.Repeat(-1L, request.Batch.BatchSize).ToArray(), outputs);
            request = new ExplanationRequest(request.Batch) { Targets = classes, Inputs = request.Inputs, Cancellation = request.Cancellation };
        }

        var explanation = _inner.Explain(request);
        _target.Check(explanation);
        return explanation;
    }

    public void Dispose()
    {
        _sessions.Dispose();
        _inner.Dispose();
    }
}
