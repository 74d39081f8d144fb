using System.Text;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Hardening;

/// <summary>.npy headers that declare more than the file holds or more than an array can: refused before allocating.</summary>
[TestClass]
public sealed class NpyLimitTests
{
    [TestMethod]
    public void A_144_byte_file_declaring_2_7_million_images_is_refused_without_a_large_allocation()
    {
        var bytes = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2700000, 1, 28, 28), }", new byte[16]);
        Assert.AreEqual(144, bytes.Length);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsExactly<NpyFormatException>(() => IO.Npy.ReadFloats(new MemoryStream(bytes)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        StringAssert.Contains(e.Message, "Truncated");
        Assert.IsTrue(allocated < 1 << 20, $"{allocated} bytes were allocated before refusing");

        // A stream that cannot seek is read before the array is allocated: still no array of 2.1e9 floats.
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.ThrowsExactly<NpyFormatException>(() => IO.Npy.ReadFloats(new ForwardOnlyStream(bytes)));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsTrue(allocated < 16 << 20, $"{allocated} bytes were allocated before refusing a forward-only stream");
    }

    [TestMethod]
    [DataRow("(4294967296, 4294967296)")] // 2^64: wraps to 0 in unchecked int64 arithmetic
    [DataRow("(4611686018427387904, 4)")] // 2^62 · 4 = 2^64
    [DataRow("(3037000500, 3037000500, 2)")]
    public void A_shape_whose_element_count_overflows_is_refused(string shape)
    {
        var bytes = Npy($"{{'descr': '<i8', 'fortran_order': False, 'shape': {shape}, }}", []);
        var e = Assert.ThrowsExactly<NpyFormatException>(() => IO.Npy.ReadInt64(new MemoryStream(bytes)));
        StringAssert.Contains(e.Message, "more elements");
    }

    [TestMethod]
    public void An_empty_dimension_still_reads_as_an_empty_array()
    {
        var bytes = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", []);
        var tensor = IO.Npy.ReadFloats(new MemoryStream(bytes));
        Assert.AreEqual(0, tensor.Length);
        CollectionAssert.AreEqual(new long[] { 0, 3 }, tensor.Shape);
    }

    [TestMethod]
    public void A_forward_only_stream_above_64_MiB_is_read_in_full()
    {
        int count = (64 << 20) / 4 + 1000;
        var values = new float[count];
        values[^1] = 7f;
        var stream = new MemoryStream();
        IO.Npy.Write(stream, new FloatTensor(values, count));
        var tensor = IO.Npy.ReadFloats(new ForwardOnlyStream(stream.ToArray()));
        Assert.AreEqual(count, tensor.Length);
        Assert.AreEqual(7f, tensor.Data[^1]);
    }

    /// <summary>A version 1.0 file: magic, version, header padded to a multiple of 64 with a final newline, then the payload.</summary>
    internal static byte[] Npy(string dict, byte[] payload)
    {
        int total = (10 + dict.Length + 1 + 63) / 64 * 64;
        var header = dict.PadRight(total - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(header.Length & 0xFF), (byte)(header.Length >> 8) };
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(payload);
        return [.. bytes];
    }

    /// <summary>A stream that reads forward only (as a network or pipe stream): no Length, no Seek.</summary>
    internal sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
