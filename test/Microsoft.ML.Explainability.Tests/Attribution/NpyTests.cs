using System.Text;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Attribution;

/// <summary>NumPy .npy read/write: round trips, a file byte-for-byte as np.save writes it, and clear errors.</summary>
[TestClass]
public sealed class NpyTests
{
    /// <summary>
    /// The bytes of an .npy file built by hand: magic \x93NUMPY, version, little-endian header length (uint16 for 1.0,
    /// uint32 for 2.0), the dict padded with spaces so the whole prefix incl. the final newline is a multiple of 64, data.
    /// </summary>
    private static byte[] NpyBytes(byte major, string dict, byte[] payload)
    {
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        var header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
        bytes.Add((byte)(header.Length & 0xFF));
        bytes.Add((byte)(header.Length >> 8));
        if (major != 1)
        {
            bytes.Add(0);
            bytes.Add(0);
        }

        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(payload);
        return [.. bytes];
    }

    private static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [TestMethod]
    public void A_file_as_numpy_writes_it_is_read_and_written_byte_for_byte()
    {
        // np.save("a.npy", np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5)
        const string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        var expected = NpyBytes(1, dict, Floats(0f, 0.5f, 1f, 1.5f, 2f, 2.5f));
        Assert.AreEqual(128, expected.Length - 24, "header block of 128 bytes");
        Assert.AreEqual((byte)'\n', expected[127]);

        var tensor = Npy.ReadFloats(new MemoryStream(expected), expectedRank: 2);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, tensor.Shape);
        CollectionAssert.AreEqual(new[] { 0f, 0.5f, 1f, 1.5f, 2f, 2.5f }, tensor.Data);

        using var written = new MemoryStream();
        Npy.Write(written, tensor);
        CollectionAssert.AreEqual(expected, written.ToArray(), "the writer produces np.save's bytes");
    }

    [TestMethod]
    public void Float_and_int64_arrays_round_trip_through_files()
    {
        var dir = Path.Combine(Path.GetTempPath(), "npy-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var random = new Random(5);
            var maps = new FloatTensor(Enumerable.Range(0, 2 * 3 * 4 * 5).Select(_ => (float)random.NextDouble() - 0.5f).ToArray(), 2, 3, 4, 5);
            maps.Data[7] = float.MinValue;
            maps.Data[8] = float.Epsilon;
            var path = Path.Combine(dir, "maps.npy");
            Npy.Write(path, maps);
            var back = Npy.ReadFloats(path, 4);
            CollectionAssert.AreEqual(maps.Shape, back.Shape);
            CollectionAssert.AreEqual(maps.Data, back.Data);
            Assert.AreEqual(0, new FileInfo(path).Length % 4);
            Assert.AreEqual(0, (new FileInfo(path).Length - (maps.Length * 4)) % 64, "header padded to 64 bytes");

            var targets = new long[] { -1, 3, long.MaxValue, long.MinValue, 0 };
            var targetsPath = Path.Combine(dir, "targets.npy");
            Npy.WriteInt64(targetsPath, targets, 5);
            var text = Encoding.ASCII.GetString(File.ReadAllBytes(targetsPath), 10, 60);
            StringAssert.StartsWith(text, "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", "a 1-D shape is written as NumPy does, with a trailing comma");
            var (data, shape) = Npy.ReadInt64(targetsPath, 1);
            CollectionAssert.AreEqual(targets, data);
            CollectionAssert.AreEqual(new long[] { 5 }, shape);

            var scalar = new FloatTensor([42f]);
            var scalarPath = Path.Combine(dir, "scalar.npy");
            Npy.Write(scalarPath, scalar);
            var scalarBack = Npy.ReadFloats(scalarPath);
            Assert.AreEqual(0, scalarBack.Rank);
            Assert.AreEqual(42f, scalarBack.Data[0]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Float64_and_version_2_headers_and_other_dict_layouts_are_read()
    {
        var doubles = new[] { 1.25, -3.5, 1e-3 }.SelectMany(BitConverter.GetBytes).ToArray();
        var f8 = Npy.ReadFloats(new MemoryStream(NpyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", doubles)));
        CollectionAssert.AreEqual(new[] { 1.25f, -3.5f, 1e-3f }, f8.Data);

        // Version 2.0 (uint32 header length), keys in another order, double quotes, a Python-2 long.
        var v2 = Npy.ReadFloats(new MemoryStream(NpyBytes(2, "{\"shape\": (1L, 2), 'fortran_order': False, 'descr': '<f4'}", Floats(7f, 8f))));
        CollectionAssert.AreEqual(new long[] { 1, 2 }, v2.Shape);
        CollectionAssert.AreEqual(new[] { 7f, 8f }, v2.Data);

        var empty = Npy.ReadFloats(new MemoryStream(NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", [])));
        CollectionAssert.AreEqual(new long[] { 0, 3 }, empty.Shape);
    }

    [TestMethod]
    public void Fortran_order_wrong_dtype_wrong_rank_and_truncation_are_clear_errors()
    {
        static NpyFormatException Fails(byte[] bytes, int? rank = null) =>
            Assert.ThrowsExactly<NpyFormatException>(() => Npy.ReadFloats(new MemoryStream(bytes), rank));

        var six = Floats(1, 2, 3, 4, 5, 6);
        StringAssert.Contains(Fails(NpyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", six)).Message, "Fortran");
        StringAssert.Contains(Fails(NpyBytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", six)).Message, "'<i4'");
        StringAssert.Contains(Fails(NpyBytes(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", six)).Message, "big-endian");
        StringAssert.Contains(Fails(NpyBytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", six)).Message, "structured");
        var rank = Fails(NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", six), rank: 4);
        StringAssert.Contains(rank.Message, "rank 2");
        StringAssert.Contains(rank.Message, "rank 4");

        var truncated = Fails(NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", six[..20]));
        StringAssert.Contains(truncated.Message, "Truncated");
        StringAssert.Contains(truncated.Message, "24 bytes");
        var full = NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", six);
        StringAssert.Contains(Fails(full[..50]).Message, "Truncated .npy header");
        StringAssert.Contains(Fails(full[..9]).Message, "Truncated");
        StringAssert.Contains(Fails([.. "PK\x03\x04 not npy"u8]).Message, "magic");
        var badVersion = (byte[])full.Clone();
        badVersion[6] = 9;
        StringAssert.Contains(Fails(badVersion).Message, "version 9.0");
        StringAssert.Contains(Fails(NpyBytes(1, "{'descr': '<f4', 'shape': (2, 3), }", six)).Message, "required");

        var int64 = Assert.ThrowsExactly<NpyFormatException>(() => Npy.ReadInt64(new MemoryStream(full)));
        StringAssert.Contains(int64.Message, "'<f4'");
        Assert.IsInstanceOfType<ExplainabilityException>(int64);
        Assert.ThrowsExactly<ArgumentException>(() => Npy.WriteInt64(new MemoryStream(), [1, 2, 3], 2, 2));
    }
}
