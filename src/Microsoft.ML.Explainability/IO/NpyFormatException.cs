using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.IO;

/// <summary>A file or stream is not a NumPy <c>.npy</c> array this library can read (bad magic, header, dtype, order, rank or length).</summary>
public sealed class NpyFormatException : ExplainabilityException
{
    /// <summary>Creates the exception with a message.</summary>
    public NpyFormatException(string message) : base(message) { }
}
