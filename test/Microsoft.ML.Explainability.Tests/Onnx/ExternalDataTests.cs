using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Onnx;

/// <summary>
/// External data built by hand in temporary folders: links that escape the model's folder (file and folder links),
/// links that stay inside (and the Hugging Face cache layout), every kind of tensor that can carry external data, and
/// malformed offset/length fields. Every refusal is an <see cref="InvalidOnnxModelException"/> naming the tensor.
/// </summary>
[TestClass]
public sealed class ExternalDataTests
{
    private static readonly byte[] WeightBytes = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]; // 1f, 2f

    private DirectoryInfo _root = null!;

    [TestInitialize]
    public void CreateFolder() => _root = Directory.CreateTempSubdirectory("xai-extdata-");

    [TestCleanup]
    public void DeleteFolder() => _root.Delete(recursive: true);

    [TestMethod]
    public void A_file_link_inside_the_folder_to_a_file_outside_is_refused()
    {
        var model = Folder("model");
        var outside = Path.Combine(Folder("outside"), "secret.bin");
        File.WriteAllBytes(outside, WeightBytes);
        File.CreateSymbolicLink(Path.Combine(model, "w.bin"), outside);
        var path = Save(model, WeightModel("w.bin"));
        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(path));
        StringAssert.Contains(e.Message, "'w'");
        StringAssert.Contains(e.Message, "escapes");

        if (File.Exists("/etc/passwd"))
        {
            File.CreateSymbolicLink(Path.Combine(model, "passwd.bin"), "/etc/passwd");
            path = Save(model, WeightModel("passwd.bin"));
            e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(path));
            StringAssert.Contains(e.Message, "escapes");
        }
    }

    [TestMethod]
    public void A_folder_link_inside_the_folder_to_a_folder_outside_is_refused()
    {
        var model = Folder("model");
        var outside = Folder("outside");
        File.WriteAllBytes(Path.Combine(outside, "w.bin"), WeightBytes);
        Directory.CreateSymbolicLink(Path.Combine(model, "data"), outside);
        var path = Save(model, WeightModel("data/w.bin"));
        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(path));
        StringAssert.Contains(e.Message, "escapes");

        // ".." applies after following the link, as the operating system does: data/../w.bin is <root>/w.bin, not
        // model/w.bin (which a lexical check would have read).
        File.WriteAllBytes(Path.Combine(model, "w.bin"), WeightBytes);
        File.WriteAllBytes(Path.Combine(_root.FullName, "w.bin"), WeightBytes);
        path = Save(model, WeightModel("data/../w.bin"));
        e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(path));
        StringAssert.Contains(e.Message, "escapes");
    }

    [TestMethod]
    public void A_link_to_a_file_inside_the_folder_is_read_at_the_target_length()
    {
        var model = Folder("model");
        var blobs = Folder("model/blobs");
        File.WriteAllBytes(Path.Combine(blobs, "abc123"), WeightBytes);
        File.CreateSymbolicLink(Path.Combine(model, "w.bin"), Path.Combine("blobs", "abc123"));
        var loaded = OnnxModel.Load(Save(model, WeightModel("w.bin", withLength: false)));
        CollectionAssert.AreEqual(WeightBytes, loaded.Proto.Graph.Initializer.Single().RawData.ToByteArray());
        Assert.AreEqual(0, loaded.Proto.Graph.Initializer.Single().ExternalData.Count);
    }

    [TestMethod]
    public void The_hugging_face_cache_layout_of_linked_model_and_data_is_accepted()
    {
        // snapshots/<rev>/model.onnx → ../../blobs/<hash>, snapshots/<rev>/w.bin → ../../blobs/<hash2>.
        var blobs = Folder("hub/blobs");
        var snapshot = Folder("hub/snapshots/rev1");
        File.WriteAllBytes(Path.Combine(blobs, "model-hash"), WeightModel("w.bin").ToByteArray());
        File.WriteAllBytes(Path.Combine(blobs, "data-hash"), WeightBytes);
        File.CreateSymbolicLink(Path.Combine(snapshot, "model.onnx"), "../../blobs/model-hash");
        File.CreateSymbolicLink(Path.Combine(snapshot, "w.bin"), "../../blobs/data-hash");
        var loaded = OnnxModel.Load(Path.Combine(snapshot, "model.onnx"));
        CollectionAssert.AreEqual(WeightBytes, loaded.Proto.Graph.Initializer.Single().RawData.ToByteArray());
    }

    [TestMethod]
    public void A_sparse_initializer_escaping_the_folder_is_refused()
    {
        var model = Folder("model");
        var proto = WeightModel("w.bin");
        File.WriteAllBytes(Path.Combine(model, "w.bin"), WeightBytes);
        var values = External(TensorProtos.Float("sparse_w", [1], [0f]), "../outside.bin");
        var indices = TensorProtos.Int64("sparse_w_indices", [1], [0]);
        proto.Graph.SparseInitializer.Add(new SparseTensorProto { Values = values, Indices = indices, Dims = { 2 } });
        File.WriteAllBytes(Path.Combine(_root.FullName, "outside.bin"), new byte[4]);
        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(Save(model, proto)));
        StringAssert.Contains(e.Message, "'sparse_w'");
        StringAssert.Contains(e.Message, "escapes");
    }

    [TestMethod]
    public void Attribute_tensors_in_subgraphs_and_function_bodies_are_checked()
    {
        var model = Folder("model");
        File.WriteAllBytes(Path.Combine(_root.FullName, "outside.bin"), new byte[8]);
        File.WriteAllBytes(Path.Combine(model, "w.bin"), WeightBytes);

        // A Constant node inside an If branch.
        var proto = WeightModel("w.bin");
        var branch = new GraphProto { Name = "then" };
        branch.Node.Add(ConstantNode("hidden_const", "../outside.bin"));
        branch.Output.Add(new ValueInfoProto { Name = "hidden_const_out" });
        proto.Graph.Node.Add(new NodeProto
        {
            OpType = "If", Name = "if", Input = { "x" }, Output = { "if_out" },
            Attribute = { new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = branch } },
        });
        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(Save(model, proto)));
        StringAssert.Contains(e.Message, "'hidden_const'");

        // A Constant node in a function body.
        proto = WeightModel("w.bin");
        var function = new FunctionProto { Name = "f", Domain = "custom" };
        function.Node.Add(ConstantNode("function_const", "../outside.bin"));
        proto.Functions.Add(function);
        e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(Save(model, proto)));
        StringAssert.Contains(e.Message, "'function_const'");

        // And from bytes, with no folder, each is refused as external.
        Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(proto.ToByteArray()));
    }

    [TestMethod]
    [DataRow("offset", "abc", "offset 'abc'")]
    [DataRow("offset", "-1", "offset '-1'")]
    [DataRow("length", "9223372036854775800", "outside")]
    [DataRow("offset", "9223372036854775807", "past the end")]
    [DataRow("length", "99999999999999999999", "length '99999999999999999999'")]
    [DataRow("length", "4", "8 bytes")]
    [DataRow("location", "w.bin", "twice")]
    public void Malformed_fields_are_refused_naming_the_tensor(string key, string value, string expected)
    {
        var model = Folder("model");
        File.WriteAllBytes(Path.Combine(model, "w.bin"), WeightBytes);
        var proto = WeightModel("w.bin");
        var entries = proto.Graph.Initializer.Single().ExternalData;
        if (entries.FirstOrDefault(e => e.Key == key && key != "location") is { } existing)
        {
            existing.Value = value;
        }
        else
        {
            entries.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(Save(model, proto)));
        StringAssert.Contains(e.Message, "'w'");
        StringAssert.Contains(e.Message, expected);
    }

    private string Folder(string relative) => Directory.CreateDirectory(Path.Combine(_root.FullName, relative)).FullName;

    private static string Save(string folder, ModelProto proto)
    {
        var path = Path.Combine(folder, "model.onnx");
        File.WriteAllBytes(path, proto.ToByteArray());
        return path;
    }

    /// <summary>y = x + w with w (2 floats) stored at <paramref name="location"/>.</summary>
    private static ModelProto WeightModel(string location, bool withLength = true)
    {
        var t = new TestGraph();
        var y = t.Node("Add", [t.Input("x", -1, 2), t.Random("w", [2])]);
        var proto = ModelProto.Parser.ParseFrom(t.Output(y).Build().ToBytes());
        var weight = External(proto.Graph.Initializer.Single(), location);
        if (withLength)
        {
            weight.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "0" });
            weight.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = "8" });
        }

        return proto;
    }

    private static TensorProto External(TensorProto tensor, string location)
    {
        tensor.ClearRawData();
        tensor.FloatData.Clear();
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        return tensor;
    }

    private static NodeProto ConstantNode(string name, string location) => new()
    {
        OpType = "Constant",
        Name = name + "_node",
        Output = { name + "_out" },
        Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = External(TensorProtos.Float(name, [2], [0f, 0f]), location) } },
    };
}
