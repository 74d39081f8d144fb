using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// Finite-difference checks of the data-movement rules (Squeeze, Unsqueeze, Transpose, Cast, Dropout, Concat, Split,
/// Slice, Gather, Pad, Expand, Tile, DepthToSpace, SpaceToDepth). The models multiply the moved data by a fixed random tensor, so that a gradient
/// sent to the wrong position has the wrong value as well as the wrong place.
/// </summary>
[TestClass]
public sealed class ShapeGradientTests
{
    private static Dictionary<string, FloatTensor> Feeds(params (string Name, FloatTensor Value)[] feeds) => feeds.ToDictionary(f => f.Name, f => f.Value);

    private static FloatTensor Random(int seed, params long[] shape) => GradientCheck.RandomTensor(new Random(seed), shape);

    [TestMethod]
    public void Squeeze_transpose_unsqueeze_cast_castlike_and_dropout_gradients_match_finite_differences()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 3, 1, 4);
        var squeezed = t.Node("Squeeze", [x, t.Int64s("squeeze_axes", 2)]);
        var transposed = t.Node("Transpose", [squeezed], AttributeValue.Ints("perm", [0, 2, 1]));
        var unsqueezed = t.Node("Unsqueeze", [transposed, t.Int64s("unsqueeze_axes", 1, -1)]);
        var wide = t.Node("Cast", [unsqueezed], AttributeValue.Int("to", (long)TensorProto.Types.DataType.Double));
        var narrow = t.Node("CastLike", [wide, x]);
        var dropped = t.Node("Dropout", [narrow, t.Constant("ratio", [], [0.5f])], 2)[0];
        var y = t.Node("Mul", [dropped, t.Random("w", [1, 1, 4, 3, 1], 0.5, 1.5)]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(1, 2, 3, 1, 4))), samples: 24);
    }

    [TestMethod]
    [DataRow("DCR")]
    [DataRow("CRD")]
    public void DepthToSpace_and_SpaceToDepth_gradients_match_finite_differences(string mode)
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 8, 2, 3);
        var spread = t.Node("DepthToSpace", [x], AttributeValue.Int("blocksize", 2), AttributeValue.String("mode", mode));
        var weighted = t.Node("Mul", [spread, t.Random("w", [1, 2, 4, 6], 0.5, 1.5)]);
        var stacked = t.Node("SpaceToDepth", [weighted], AttributeValue.Int("blocksize", 2));
        var y = t.Node("Mul", [stacked, t.Random("v", [1, 8, 2, 3], 0.5, 1.5)]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(4, 2, 8, 2, 3))), samples: 32);
    }

    [TestMethod]
    public void Transpose_without_perm_reverses_the_axes()
    {
        var t = new TestGraph();
        // [N, 3, 4] → [4, 3, N] → back to batch-first [N, 4, 3] with an explicit perm.
        var reversed = t.Node("Transpose", [t.Input("x", -1, 3, 4)]);
        var y = t.Node("Mul", [t.Node("Transpose", [reversed], AttributeValue.Ints("perm", [2, 0, 1])), t.Random("w", [4, 3], 0.5, 1.5)]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(2, 2, 3, 4))));
    }

    [TestMethod]
    [DataRow(1, false)]
    [DataRow(-1, false)]
    [DataRow(1, true)]
    public void Concat_gradients_match_finite_differences(int axis, bool batchAxis)
    {
        // Inputs a, c, b concatenated along axis 1 or the last axis; the gradient of c is not asked for, so its part
        // of dY is dropped. With batchAxis the inputs are transposed to [3, N, 4] first, so the concatenated sizes
        // change with the batch and are read at run time; the result is reshaped back to [N, 24].
        long[] aShape = batchAxis ? [-1, 3, 4] : axis == 1 ? [-1, 2, 3] : [-1, 3, 2];
        long[] bShape = batchAxis ? [-1, 3, 4] : axis == 1 ? [-1, 4, 3] : [-1, 3, 5];
        long[] cShape = batchAxis ? [-1, 3, 4] : axis == 1 ? [-1, 1, 3] : [-1, 3, 1];
        var t = new TestGraph();
        string Prepare(string name, long[] shape) =>
            batchAxis ? t.Node("Transpose", [t.Input(name, shape)], AttributeValue.Ints("perm", [1, 0, 2])) : t.Input(name, shape);
        var concatenated = t.Node("Concat", [Prepare("a", aShape), Prepare("c", cShape), Prepare("b", bShape)], AttributeValue.Int("axis", axis));
        if (batchAxis)
        {
            concatenated = t.Node("Reshape", [concatenated, t.Int64s("shape", -1, 36)]);
        }

        var y = t.Node("Mul", [concatenated, concatenated]);
        var random = new Random(3);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(
            ("a", GradientCheck.RandomTensor(random, [2, .. aShape.Skip(1)])),
            ("c", GradientCheck.RandomTensor(random, [2, .. cShape.Skip(1)])),
            ("b", GradientCheck.RandomTensor(random, [2, .. bShape.Skip(1)]))), samples: 30, withRespectTo: ["a", "b"]);
    }

    [TestMethod]
    [DataRow(17, new long[] { 2, 3, 1 }, 1)]
    [DataRow(17, null, -1)]
    [DataRow(18, null, 1)]
    public void Split_gradients_match_finite_differences_with_an_output_left_without_gradient(int opset, long[]? split, int axis)
    {
        // x [N, 6, 6] split in three along the axis; only outputs 0 and 2 reach Y, so output 1 gets zeros.
        var t = new TestGraph(opset);
        var x = t.Input("x", -1, 6, 6);
        var inputs = split is null ? new[] { x } : [x, t.Int64s("split", split)];
        var attributes = new List<AttributeValue> { AttributeValue.Int("axis", axis) };
        if (opset >= 18)
        {
            attributes.Add(AttributeValue.Int("num_outputs", 3));
        }

        var parts = t.Node("Split", inputs, 3, [.. attributes]);
        var y = t.Node("Concat", [t.Node("Mul", [parts[2], parts[2]]), t.Node("Neg", [parts[0]])], AttributeValue.Int("axis", axis));
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(4, 2, 6, 6))), samples: 40);
    }

    [TestMethod]
    [DataRow(new long[] { 1, -3 }, new long[] { 4, -1 }, new long[] { 1, 2 }, null, DisplayName = "negative starts and ends, unit steps")]
    [DataRow(new long[] { 0 }, new long[] { 6 }, new long[] { 2 }, new long[] { 2 }, DisplayName = "step 2")]
    [DataRow(new long[] { -1 }, new long[] { long.MinValue }, new long[] { 1 }, new long[] { -1 }, DisplayName = "step -1 reverses")]
    [DataRow(new long[] { -2, 4 }, new long[] { 0, 100 }, new long[] { -1, -2 }, new long[] { -2, 1 }, DisplayName = "step -2, out-of-range end")]
    [DataRow(new long[] { 0, 1, 1 }, new long[] { long.MaxValue, 4, 100 }, null, null, DisplayName = "axes omitted, batch axis sliced")]
    [DataRow(new long[] { 1 }, new long[] { 1000 }, new long[] { -1 }, new long[] { 3 }, DisplayName = "step 3, end clamped")]
    public void Slice_gradients_match_finite_differences(long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        var t = new TestGraph();
        var inputs = new List<string> { t.Input("x", -1, 5, 6), t.Int64s("starts", starts), t.Int64s("ends", ends) };
        if (axes is not null || steps is not null)
        {
            inputs.Add(axes is null ? "" : t.Int64s("axes", axes));
        }

        if (steps is not null)
        {
            inputs.Add(t.Int64s("steps", steps));
        }

        var sliced = t.Node("Slice", [.. inputs]);
        var y = t.Node("Mul", [sliced, sliced]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(5, 2, 5, 6))), samples: 60);
    }

    [TestMethod]
    public void Slice_with_bounds_computed_at_run_time_matches_finite_differences()
    {
        // ends = Shape(x)[1:3] − 1: not a constant, so the rule slices the positions of X at run time.
        var t = new TestGraph();
        var x = t.Input("x", -1, 5, 6);
        var ends = t.Node("Sub", [t.Node("Shape", [x], AttributeValue.Int("start", 1), AttributeValue.Int("end", 3)), t.Int64s("one", 1)]);
        var sliced = t.Node("Slice", [x, t.Int64s("starts", 1, 2), ends, t.Int64s("axes", 1, 2)]);
        var y = t.Node("Mul", [sliced, sliced]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(6, 2, 5, 6))), samples: 60);
    }

    [TestMethod]
    [DataRow(new long[] { -3, 1 }, new long[] { -1, 100 }, DisplayName = "negative and out-of-range bounds")]
    [DataRow(new long[] { 4, -100 }, new long[] { 2, 3 }, DisplayName = "empty slice on one axis, start clamped on the other")]
    [DataRow(new long[] { 0, 0 }, new long[] { 3, long.MaxValue }, DisplayName = "the channel split exporters write")]
    public void Slice_with_run_time_bounds_pads_back_like_the_specification(long[] starts, long[] ends)
    {
        // Bounds are starts + 0·Shape(x)[1:3] (not constants), on the batch-dependent axis too: the rule builds the pads
        // at run time. Zero-size results are allowed by ONNX; the gradient is then zero on that part.
        var t = new TestGraph();
        var x = t.Input("x", -1, 5, 6);
        var zeros = t.Node("Mul", [t.Node("Shape", [x], AttributeValue.Int("start", 1), AttributeValue.Int("end", 3)), t.Int64s("zero", 0)]);
        var sliced = t.Node("Slice", [x, t.Node("Add", [t.Int64s("starts", starts), zeros]), t.Node("Add", [t.Int64s("ends", ends), zeros]), t.Int64s("axes", 1, 2)]);
        var y = t.Node("Mul", [sliced, sliced]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(7, 2, 5, 6))), samples: 60);
    }

    [TestMethod]
    [DataRow(1, new long[] { 2, 2, -4, 0, 2 }, false, DisplayName = "axis 1, repeated and negative indices")]
    [DataRow(-1, new long[] { 1, -1, 1, 1 }, false, DisplayName = "axis -1, 2-D indices")]
    [DataRow(1, new long[] { 2, 2, -4, 0, 2 }, true, DisplayName = "axis 1, int32 indices")]
    public void Gather_gradients_add_over_repeated_indices(int axis, long[] indices, bool int32)
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 4, 5);
        string index = axis == -1 ? Int64Tensor(t, "indices", [2, 2], indices) : t.Int64s("indices", indices);
        if (int32)
        {
            index = t.Node("Cast", [index], AttributeValue.Int("to", (long)TensorProto.Types.DataType.Int32));
        }

        var gathered = t.Node("Gather", [x, index], AttributeValue.Int("axis", axis));
        var y = t.Node("Mul", [gathered, gathered]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(7, 2, 4, 5))), samples: 40);
    }

    [TestMethod]
    public void Gather_on_axis_0_of_an_unbatched_tensor_and_with_a_scalar_index_match_finite_differences()
    {
        // Axis 0 of a [5, 4] table with indices [[3, 1], [3, -1]] (3 twice, −1 = row 4).
        var t = new TestGraph();
        var rows = t.Node("Gather", [t.Input("table", 5, 4), Int64Tensor(t, "rows", [2, 2], [3, 1, 3, -1])]);
        var y = t.Node("Unsqueeze", [t.Node("Mul", [rows, rows]), t.Int64s("axes", 0)]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("table", Random(8, 5, 4))), samples: 20);

        // A scalar index on axis 1 removes the axis: [N, 4, 5] → [N, 5].
        var s = new TestGraph();
        var picked = s.Node("Gather", [s.Input("x", -1, 4, 5), Int64Tensor(s, "index", [], [-2])], AttributeValue.Int("axis", 1));
        var z = s.Node("Mul", [picked, picked]);
        GradientCheck.AgainstFiniteDifferences(s.Output(z).Build(), z, Feeds(("x", Random(9, 2, 4, 5))), samples: 40);
    }

    [TestMethod]
    public void Gather_sums_the_seeds_of_repeated_indices_exactly()
    {
        var t = new TestGraph();
        var y = t.Node("Gather", [t.Input("x", -1, 3), t.Int64s("indices", 2, 0, 2, -1)], AttributeValue.Int("axis", 1));
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        using var session = new GradientSession(model);
        var seed = new FloatTensor([1, 10, 100, 1000], 1, 4);
        var gradient = session.Run(new Dictionary<string, FloatTensor> { ["x"] = new FloatTensor([5, 6, 7], 1, 3) }, seed: seed).Gradients["x"];
        CollectionAssert.AreEqual(new float[] { 10, 0, 1101 }, gradient.Data);
    }

    [TestMethod]
    [DataRow("constant", new long[] { 0, 1, 2, 0, 0, 0, 3, 1 }, 17, DisplayName = "constant, asymmetric pads")]
    [DataRow("constant", new long[] { 0, 0, -1, 2, 0, 1, 1, -2 }, 17, DisplayName = "constant, negative pads crop")]
    [DataRow("reflect", new long[] { 0, 0, 2, 1, 0, 0, 1, 3 }, 17, DisplayName = "reflect")]
    [DataRow("edge", new long[] { 0, 0, 3, 0, 0, 0, 1, 2 }, 17, DisplayName = "edge")]
    [DataRow("wrap", new long[] { 0, 0, 2, 1, 0, 0, 1, 3 }, 19, DisplayName = "wrap")]
    public void Pad_gradients_match_finite_differences(string mode, long[] pads, int opset)
    {
        var t = new TestGraph(opset);
        var padded = t.Node("Pad", [t.Input("x", -1, 2, 4, 5), t.Int64s("pads", pads), t.Constant("value", [], [0.5f])], AttributeValue.String("mode", mode));
        var y = t.Node("Mul", [padded, padded]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(10, 2, 2, 4, 5))), samples: 60);
    }

    [TestMethod]
    [DataRow("constant")]
    [DataRow("reflect")]
    public void Pad_with_an_axes_input_matches_finite_differences(string mode)
    {
        var t = new TestGraph(18);
        var padded = t.Node("Pad", [t.Input("x", -1, 4, 5), t.Int64s("pads", 2, 0, 1, 3), "", t.Int64s("axes", -1, 1)], AttributeValue.String("mode", mode));
        var y = t.Node("Mul", [padded, padded]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(11, 2, 4, 5))), samples: 40);
    }

    [TestMethod]
    public void Expand_gradients_sum_over_the_broadcast_axes()
    {
        var t = new TestGraph();
        var a = t.Node("Expand", [t.Input("a", -1, 1, 4), t.Int64s("shape_a", 1, 3, 4)]);
        var b = t.Node("Expand", [t.Input("b", 3, 1), t.Int64s("shape_b", 2, 1, 4)]);
        var y = t.Node("Mul", [t.Node("Unsqueeze", [t.Node("Mul", [a, a]), t.Int64s("axes", 1)]), b]);
        var random = new Random(12);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(
            ("a", GradientCheck.RandomTensor(random, [2, 1, 4])),
            ("b", GradientCheck.RandomTensor(random, [3, 1]))));
    }

    [TestMethod]
    [DataRow(new long[] { 1, 2, 3 })]
    [DataRow(new long[] { 1, 1, 2 })]
    public void Tile_gradients_sum_over_the_tiles(long[] repeats)
    {
        var t = new TestGraph();
        var tiled = t.Node("Tile", [t.Input("x", -1, 2, 3), t.Int64s("repeats", repeats)]);
        var y = t.Node("Mul", [tiled, tiled]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(13, 2, 2, 3))));
    }

    [TestMethod]
    public void Dropout_in_training_mode_is_refused()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 3);
        var dropped = t.Node("Dropout", [x, t.Constant("ratio", [], [0.5f]), BoolScalar(t, "training", true)]);
        var model = t.Output(dropped).Build();
        var e = Assert.ThrowsExactly<GradientException>(() => GradientModel.Build(model, new GradientRequest { Output = dropped, Seed = SeedKind.Given, WithRespectTo = ["x"] }));
        StringAssert.Contains(e.Message, "training mode");
    }

    [TestMethod]
    public void Dropout_in_training_mode_with_ratio_zero_is_the_identity()
    {
        // As torch 1.13 exports torchvision's Swin: training_mode true, ratio 0, both Constant nodes.
        var t = new TestGraph();
        var x = t.Input("x", -1, 3);
        var dropped = t.Node("Dropout", [x, t.Constant("ratio", [], [0f]), BoolScalar(t, "training", true)]);
        var y = t.Node("Mul", [dropped, dropped]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", Random(14, 2, 3))));
    }

    private static string Int64Tensor(TestGraph t, string name, long[] dims, long[] values)
    {
        t.Graph.Initializer.Add(TensorProtos.Int64(name, dims, values));
        return name;
    }

    private static string BoolScalar(TestGraph t, string name, bool value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Bool };
        tensor.Int32Data.Add(value ? 1 : 0);
        t.Graph.Initializer.Add(tensor);
        return name;
    }
}
