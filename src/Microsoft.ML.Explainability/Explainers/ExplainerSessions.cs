namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// The ONNX Runtime sessions of one explainer, each created on first use under one lock and disposed together: the
/// lifetime and disposal logic every explainer shares. After <see cref="Dispose"/>, <see cref="Get{T}"/> throws
/// <see cref="ObjectDisposedException"/> naming the explainer.
/// </summary>
internal sealed class ExplainerSessions(object owner) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IDisposable> _sessions = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>The session stored under <paramref name="key"/>, created by <paramref name="create"/> the first time.</summary>
    public T Get<T>(string key, Func<T> create)
        where T : class, IDisposable
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, owner);
            if (!_sessions.TryGetValue(key, out var session))
            {
                session = create();
                _sessions[key] = session;
            }

            return (T)session;
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once disposed.</summary>
    public void ThrowIfDisposed()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, owner);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var session in _sessions.Values)
            {
                session.Dispose();
            }

            _sessions.Clear();
        }
    }
}
