using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.IO;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (the format of <c>np.save</c>/<c>np.load</c>, NEP 1 "A simple file format
/// for NumPy arrays"), so inputs, targets and maps move to and from Python.
/// </summary>
/// <remarks>
/// <para>Layout: the magic <c>\x93NUMPY</c>, a major and a minor version byte, the header length (a little-endian
/// uint16 in version 1.0, uint32 in 2.0 and 3.0), the header — a Python dict literal
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c> padded with spaces and ending in a newline so
/// that magic + version + length + header is a multiple of 64 bytes — then the raw elements.</para>
/// <para>Read: versions 1.0, 2.0 and 3.0 (3.0 only allows a UTF-8 header); element types <c>&lt;f4</c> (float32) and
/// <c>&lt;f8</c> (float64, converted to float32) as a <see cref="FloatTensor"/>, <c>&lt;i8</c> (int64) with
/// <see cref="ReadInt64(string, int?)"/>; C (row-major) order only. Big-endian data, Fortran order, other element types, a rank
/// other than the expected one and truncated files raise <see cref="NpyFormatException"/> saying which.</para>
/// <para>Sizes are checked before anything is allocated: the element count is the product of the shape computed
/// with overflow checks (a product above <see cref="Array.MaxLength"/>, including one that would wrap around to 0, is
/// refused), and must fit in the bytes that remain after the header (a stream that cannot seek has its array grown only
/// as data arrives). Arrays above 2 GiB are read in 1 GiB chunks.</para>
/// <para>Write: version 1.0 (2.0 when the header would exceed 65535 bytes, as NumPy does), little-endian,
/// C order, <c>&lt;f4</c> for float tensors and <c>&lt;i8</c> for int64 arrays.</para>
/// </remarks>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a float array (<c>&lt;f4</c>, or <c>&lt;f8</c> converted to float32) from a file.</summary>
    /// <param name="path">The <c>.npy</c> file.</param>
    /// <param name="expectedRank">When given, the array must have this many dimensions.</param>
    /// <exception cref="NpyFormatException">Not a readable float <c>.npy</c> array (the message says why).</exception>
    public static FloatTensor ReadFloats(string path, int? expectedRank = null)
    {
        using var stream = File.OpenRead(path);
        return ReadFloats(stream, expectedRank);
    }

    /// <summary>Reads a float array (<c>&lt;f4</c>, or <c>&lt;f8</c> converted to float32) from a stream.</summary>
    /// <param name="stream">The stream, positioned at the magic string; read to the end of the array.</param>
    /// <param name="expectedRank">When given, the array must have this many dimensions.</param>
    /// <exception cref="NpyFormatException">Not a readable float <c>.npy</c> array (the message says why).</exception>
    public static FloatTensor ReadFloats(Stream stream, int? expectedRank = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = ReadHeader(stream, expectedRank);
        int count = header.Count;
        switch (header.Descr)
        {
            case "<f4":
            {
                var data = ReadElements<float>(stream, header);
                if (!BitConverter.IsLittleEndian)
                {
                    var ints = MemoryMarshal.Cast<float, int>(data.AsSpan());
                    BinaryPrimitives.ReverseEndianness(ints, ints);
                }

                return new FloatTensor(data, header.Shape);
            }

            case "<f8":
            {
                var wide = ReadElements<double>(stream, header);
                if (!BitConverter.IsLittleEndian)
                {
                    var longs = MemoryMarshal.Cast<double, long>(wide.AsSpan());
                    BinaryPrimitives.ReverseEndianness(longs, longs);
                }

                var data = new float[count];
                for (int i = 0; i < count; i++)
                {
                    data[i] = (float)wide[i];
                }

                return new FloatTensor(data, header.Shape);
            }

            default:
                throw new NpyFormatException($"The array's element type is '{header.Descr}'; a float array must be '<f4' (float32) or '<f8' (float64, converted to float32). Read int64 arrays with ReadInt64.");
        }
    }

    /// <summary>Reads an int64 array (<c>&lt;i8</c>) from a file, e.g. class targets.</summary>
    /// <param name="path">The <c>.npy</c> file.</param>
    /// <param name="expectedRank">When given, the array must have this many dimensions.</param>
    /// <returns>The values in C order and the shape.</returns>
    /// <exception cref="NpyFormatException">Not a readable int64 <c>.npy</c> array (the message says why).</exception>
    public static (long[] Data, long[] Shape) ReadInt64(string path, int? expectedRank = null)
    {
        using var stream = File.OpenRead(path);
        return ReadInt64(stream, expectedRank);
    }

    /// <summary>Reads an int64 array (<c>&lt;i8</c>) from a stream.</summary>
    /// <param name="stream">The stream, positioned at the magic string.</param>
    /// <param name="expectedRank">When given, the array must have this many dimensions.</param>
    /// <returns>The values in C order and the shape.</returns>
    /// <exception cref="NpyFormatException">Not a readable int64 <c>.npy</c> array (the message says why).</exception>
    public static (long[] Data, long[] Shape) ReadInt64(Stream stream, int? expectedRank = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = ReadHeader(stream, expectedRank);
        if (header.Descr != "<i8")
        {
            throw new NpyFormatException($"The array's element type is '{header.Descr}'; an int64 array must be '<i8'.");
        }

        var data = ReadElements<long>(stream, header);
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(data, data);
        }

        return (data, header.Shape);
    }

    /// <summary>Writes <paramref name="tensor"/> as a float32 (<c>&lt;f4</c>) C-order array, format version 1.0.</summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="tensor">The tensor; its shape becomes the array's shape.</param>
    public static void Write(string path, FloatTensor tensor)
    {
        using var stream = File.Create(path);
        Write(stream, tensor);
    }

    /// <summary>Writes <paramref name="tensor"/> as a float32 (<c>&lt;f4</c>) C-order array, format version 1.0.</summary>
    /// <param name="stream">The stream written to (left open).</param>
    /// <param name="tensor">The tensor; its shape becomes the array's shape.</param>
    public static void Write(Stream stream, FloatTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        WriteHeader(stream, "<f4", tensor.Shape);
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
        }
        else
        {
            var swapped = MemoryMarshal.Cast<float, int>(tensor.Data.AsSpan()).ToArray();
            BinaryPrimitives.ReverseEndianness(swapped, swapped);
            stream.Write(MemoryMarshal.AsBytes(swapped.AsSpan()));
        }
    }

    /// <summary>Writes an int64 (<c>&lt;i8</c>) C-order array, format version 1.0.</summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="data">The values in C order.</param>
    /// <param name="shape">The shape; its element count must equal the length of <paramref name="data"/>.</param>
    public static void WriteInt64(string path, long[] data, params long[] shape)
    {
        using var stream = File.Create(path);
        WriteInt64(stream, data, shape);
    }

    /// <summary>Writes an int64 (<c>&lt;i8</c>) C-order array, format version 1.0.</summary>
    /// <param name="stream">The stream written to (left open).</param>
    /// <param name="data">The values in C order.</param>
    /// <param name="shape">The shape; its element count must equal the length of <paramref name="data"/>.</param>
    public static void WriteInt64(Stream stream, long[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0) || shape.Aggregate(1L, (a, b) => a * b) != data.Length)
        {
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) does not hold the {data.Length} values given.", nameof(shape));
        }

        WriteHeader(stream, "<i8", shape);
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
        }
        else
        {
            var swapped = (long[])data.Clone();
            BinaryPrimitives.ReverseEndianness(swapped, swapped);
            stream.Write(MemoryMarshal.AsBytes(swapped.AsSpan()));
        }
    }

    /// <summary>The header dict NumPy writes for a C-order array: <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>.</summary>
    internal static string HeaderDict(string descr, IReadOnlyList<long> shape)
    {
        string dims = shape.Count == 1
            ? shape[0].ToString(CultureInfo.InvariantCulture) + ","
            : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        return $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
    }

    private static void WriteHeader(Stream stream, string descr, IReadOnlyList<long> shape)
    {
        var dict = HeaderDict(descr, shape);
        // Version 1.0: 6 magic + 2 version + 2 length bytes; pad with spaces so the total, newline included, is a multiple of 64.
        int prefix = 10;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        byte major = 1;
        if (total - prefix > ushort.MaxValue)
        {
            prefix = 12;
            total = (prefix + dict.Length + 1 + 63) / 64 * 64;
            major = 2;
        }

        var header = Encoding.ASCII.GetBytes(dict.PadRight(total - prefix - 1) + "\n");
        stream.Write(Magic);
        stream.WriteByte(major);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[4];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
            stream.Write(length[..2]);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
            stream.Write(length);
        }

        stream.Write(header);
    }

    private sealed record Header(string Descr, long[] Shape, int Count, int ItemSize);

    private static Header ReadHeader(Stream stream, int? expectedRank)
    {
        Span<byte> start = stackalloc byte[8];
        if (!TryReadExactly(stream, start) || !start[..6].SequenceEqual(Magic))
        {
            throw new NpyFormatException("Not a .npy array: the data does not start with the magic string \\x93NUMPY.");
        }

        byte major = start[6], minor = start[7];
        if (major is < 1 or > 3 || minor != 0)
        {
            throw new NpyFormatException($"Unsupported .npy format version {major}.{minor}; versions 1.0, 2.0 and 3.0 are read.");
        }

        Span<byte> lengthBytes = stackalloc byte[major == 1 ? 2 : 4];
        if (!TryReadExactly(stream, lengthBytes))
        {
            throw new NpyFormatException("Truncated .npy header: the header length is missing.");
        }

        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (headerLength > 100_000_000)
        {
            throw new NpyFormatException($"The .npy header claims {headerLength} bytes; that is not a plausible header.");
        }

        var headerBytes = new byte[headerLength];
        if (!TryReadExactly(stream, headerBytes))
        {
            throw new NpyFormatException($"Truncated .npy header: {headerLength} header bytes announced, fewer present.");
        }

        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var (descr, fortran, shape) = ParseDict(text);
        if (fortran)
        {
            throw new NpyFormatException("The array is stored in Fortran (column-major) order; only C order is read. Save it with np.save(path, np.ascontiguousarray(a)).");
        }

        if (descr.Length > 0 && descr[0] == '>')
        {
            throw new NpyFormatException($"The array is big-endian ('{descr}'); only little-endian data is read. Convert it with a.astype(a.dtype.newbyteorder('<')).");
        }

        if (expectedRank is { } rank && shape.Length != rank)
        {
            throw new NpyFormatException($"The array has rank {shape.Length} (shape ({string.Join(", ", shape)})) but rank {rank} was expected.");
        }

        int itemSize = descr switch
        {
            "<f4" => 4,
            "<f8" or "<i8" => 8,
            _ => 0,
        };
        long count = 1;
        foreach (var d in shape)
        {
            // Checked: a shape whose product wraps around (even to 0) is refused rather than read as a small array.
            if (d != 0 && count > Array.MaxLength / d)
            {
                throw new NpyFormatException($"The array's shape ({string.Join(", ", shape)}) holds more elements than one .NET array can ({Array.MaxLength}).");
            }

            count *= d;
        }

        // The data must be present before anything is allocated: a tiny file declaring a huge shape fails here.
        if (itemSize > 0 && stream.CanSeek)
        {
            long remaining = Math.Max(0, stream.Length - stream.Position);
            if (count > remaining / itemSize)
            {
                throw new NpyFormatException($"Truncated .npy data: shape ({string.Join(", ", shape)}) of '{descr}' needs {checked(count * itemSize)} bytes but only {remaining} follow the header.");
            }
        }

        return new Header(descr, shape, (int)count, itemSize);
    }

    private static (string Descr, bool Fortran, long[] Shape) ParseDict(string text)
    {
        var t = text.TrimEnd('\n', ' ', '\0').Trim();
        if (t.Length < 2 || t[0] != '{' || t[^1] != '}')
        {
            throw new NpyFormatException($"Malformed .npy header (not a dict literal): \"{Shorten(text)}\".");
        }

        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        int i = 1;
        while (true)
        {
            SkipSpaces(t, ref i);
            if (i < t.Length && t[i] == ',')
            {
                i++;
                SkipSpaces(t, ref i);
            }

            if (i >= t.Length - 1)
            {
                break;
            }

            var key = ReadQuoted(t, ref i, text);
            SkipSpaces(t, ref i);
            Expect(t, ref i, ':', text);
            SkipSpaces(t, ref i);
            switch (key)
            {
                case "descr":
                    if (i < t.Length && t[i] is '[' or '(')
                    {
                        throw new NpyFormatException($"The array has a structured dtype; only plain '<f4', '<f8' and '<i8' arrays are read (header \"{Shorten(text)}\").");
                    }

                    descr = ReadQuoted(t, ref i, text);
                    break;
                case "fortran_order":
                    if (string.CompareOrdinal(t, i, "True", 0, 4) == 0)
                    {
                        fortran = true;
                        i += 4;
                    }
                    else if (string.CompareOrdinal(t, i, "False", 0, 5) == 0)
                    {
                        fortran = false;
                        i += 5;
                    }
                    else
                    {
                        throw new NpyFormatException($"Malformed .npy header: fortran_order is neither True nor False in \"{Shorten(text)}\".");
                    }

                    break;
                case "shape":
                    shape = ReadShape(t, ref i, text);
                    break;
                default:
                    throw new NpyFormatException($"Malformed .npy header: unexpected key '{key}' in \"{Shorten(text)}\".");
            }
        }

        if (descr is null || fortran is null || shape is null)
        {
            throw new NpyFormatException($"Malformed .npy header: 'descr', 'fortran_order' and 'shape' are all required; got \"{Shorten(text)}\".");
        }

        return (descr, fortran.Value, shape);
    }

    private static long[] ReadShape(string t, ref int i, string text)
    {
        Expect(t, ref i, '(', text);
        var dims = new List<long>();
        while (true)
        {
            SkipSpaces(t, ref i);
            if (i < t.Length && t[i] == ')')
            {
                i++;
                return [.. dims];
            }

            int start = i;
            while (i < t.Length && char.IsAsciiDigit(t[i]))
            {
                i++;
            }

            // Python 2 era files may write long integers as "3L".
            if (i == start || !long.TryParse(t.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var d))
            {
                throw new NpyFormatException($"Malformed .npy header: bad shape in \"{Shorten(text)}\".");
            }

            if (i < t.Length && t[i] == 'L')
            {
                i++;
            }

            dims.Add(d);
            SkipSpaces(t, ref i);
            if (i < t.Length && t[i] == ',')
            {
                i++;
            }
            else if (i >= t.Length || t[i] != ')')
            {
                throw new NpyFormatException($"Malformed .npy header: bad shape in \"{Shorten(text)}\".");
            }
        }
    }

    private static string ReadQuoted(string t, ref int i, string text)
    {
        if (i >= t.Length || t[i] is not ('\'' or '"'))
        {
            throw new NpyFormatException($"Malformed .npy header: expected a quoted string at position {i} of \"{Shorten(text)}\".");
        }

        char quote = t[i];
        int end = t.IndexOf(quote, i + 1);
        if (end < 0)
        {
            throw new NpyFormatException($"Malformed .npy header: unterminated string in \"{Shorten(text)}\".");
        }

        var value = t[(i + 1)..end];
        i = end + 1;
        return value;
    }

    private static void Expect(string t, ref int i, char c, string text)
    {
        if (i >= t.Length || t[i] != c)
        {
            throw new NpyFormatException($"Malformed .npy header: expected '{c}' at position {i} of \"{Shorten(text)}\".");
        }

        i++;
    }

    private static void SkipSpaces(string t, ref int i)
    {
        while (i < t.Length && char.IsWhiteSpace(t[i]))
        {
            i++;
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text.TrimEnd() : text[..200] + "…";

    /// <summary>
    /// Reads the header's elements in chunks of at most 1 GiB, so arrays above 2 GiB (whose byte view would not fit a
    /// span) are read too. A seekable stream was checked to hold them all, so the array is allocated at once; a stream
    /// that cannot seek cannot say how many bytes remain, so its array grows (from 1 MiB, doubling) only as data
    /// arrives, and a short stream declaring a huge shape fails before the full array is allocated.
    /// </summary>
    private static T[] ReadElements<T>(Stream stream, Header header)
        where T : unmanaged
    {
        int count = header.Count;
        int capacity = stream.CanSeek ? count : Math.Min(count, (1 << 20) / header.ItemSize);
        var data = new T[capacity];
        int chunk = (1 << 30) / header.ItemSize;
        int start = 0;
        while (start < count)
        {
            if (start == data.Length)
            {
                Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
            }

            var bytes = MemoryMarshal.AsBytes(data.AsSpan(start, Math.Min(chunk, data.Length - start)));
            int filled = 0;
            while (filled < bytes.Length)
            {
                int n = stream.Read(bytes[filled..]);
                if (n == 0)
                {
                    long expected = (long)count * header.ItemSize;
                    long present = ((long)start * header.ItemSize) + filled;
                    throw new NpyFormatException($"Truncated .npy data: shape ({string.Join(", ", header.Shape)}) of '{header.Descr}' needs {expected} bytes but only {present} follow the header.");
                }

                filled += n;
            }

            start += bytes.Length / header.ItemSize;
        }

        return data;
    }

    private static bool TryReadExactly(Stream stream, Span<byte> buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = stream.Read(buffer[read..]);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
