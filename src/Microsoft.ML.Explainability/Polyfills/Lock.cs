#if !NET9_0_OR_GREATER
namespace System.Threading;

/// <summary>
/// .NET 8 stand-in for .NET 9's <c>System.Threading.Lock</c>, so <c>lock (_gate)</c> on a <c>Lock</c> field compiles
/// for both targets: the C# compiler calls <see cref="EnterScope"/> for a type of this name, which takes a private monitor.
/// Each assembly that targets .NET 8 compiles its own copy (internal types are not shared across assemblies).
/// </summary>
internal sealed class Lock
{
    private readonly object _monitor = new();

    /// <summary>Enters the monitor of this object; the scope's <see cref="Scope.Dispose"/> exits it.</summary>
    public Scope EnterScope()
    {
        Monitor.Enter(_monitor);
        return new Scope(_monitor);
    }

    /// <summary>A held lock.</summary>
    public readonly ref struct Scope
    {
        private readonly object _monitor;

        internal Scope(object monitor) => _monitor = monitor;

        /// <summary>Exits the monitor.</summary>
        public void Dispose() => Monitor.Exit(_monitor);
    }
}
#endif
