using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>
/// Backward rules of operators that move data without arithmetic (reshapes, copies, casts, slicing, gathering, padding,
/// tiling). Ops that copy elements of X to positions of Y (Slice with steps, Pad in any mode, Tile) are
/// differentiated with one recipe: the forward op is applied again to a tensor holding each element's flat position
/// in X, which yields for every element of Y the position it was copied from, and dY is scattered back to those
/// positions with ScatterElements (reduction "add" where a position can be copied several times). The forward op
/// itself resolves negative, clamped or run-time bounds, so the backward can never disagree with it.
/// </summary>
internal static class ShapeRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("Flatten", ReshapeBack),
        new("Reshape", ReshapeBack),
        new("Squeeze", ReshapeBack),
        new("Unsqueeze", ReshapeBack),
        new("Identity", PassThrough),
        new("Dropout", Dropout),
        new("Cast", Cast),
        new("CastLike", Cast),
        new("Transpose", Transpose),
        new("Concat", Concat),
        new("Split", Split),
        new("Slice", Slice),
        new("Gather", Gather),
        new("Pad", Pad),
        new("Expand", Expand),
        new("Tile", Tile),
        new("DepthToSpace", DepthToSpace),
        new("SpaceToDepth", SpaceToDepth),
    ];

    /// <summary>
    /// DepthToSpace (blocksize s) permutes X [N, C·s², H, W] into Y [N, C, H·s, W·s]: the input reshaped to
    /// [N, s, s, C, H, W] (mode "DCR", the default) or [N, C, s, s, H, W] ("CRD") is transposed to [N, C, H, s, W, s].
    /// dX is dY under the inverse permutation: reshaped to [N, C, H, s, W, s], transposed back, reshaped to X's shape.
    /// </summary>
    public static void DepthToSpace(GradientContext c)
    {
        var (channels, height, width, s) = BlockGeometry(c, c.InputInfo(0));
        var split = c.Graph.Reshape(c.OutputGradient(0)!, c.Graph.Int64s(0, channels, height, s, width, s));
        long[] inverse = c.String("mode", "DCR") == "CRD" ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4];
        c.SetInputGradient(0, c.Graph.Reshape(c.Graph.Transpose(split, inverse), c.Graph.Int64s(0, channels * s * s, height, width)));
    }

    /// <summary>
    /// SpaceToDepth (blocksize s), the inverse of DepthToSpace "DCR": X [N, C, H·s, W·s] reshaped to
    /// [N, C, H, s, W, s] is transposed to [N, s, s, C, H, W] and reshaped to Y [N, C·s², H, W]. dX undoes it.
    /// </summary>
    public static void SpaceToDepth(GradientContext c)
    {
        var (channels, height, width, s) = BlockGeometry(c, c.OutputInfo(0));
        var split = c.Graph.Reshape(c.OutputGradient(0)!, c.Graph.Int64s(0, s, s, channels, height, width));
        c.SetInputGradient(0, c.Graph.Reshape(c.Graph.Transpose(split, [0, 3, 4, 1, 5, 2]), c.Graph.Int64s(0, channels, height * s, width * s)));
    }

    /// <summary>C, H, W and s of the tensor [N, C·s², H, W] on the depth side of DepthToSpace or SpaceToDepth.</summary>
    private static (long Channels, long Height, long Width, long Block) BlockGeometry(GradientContext c, TensorInfo depth)
    {
        long s = c.Int("blocksize", 0);
        if (depth.Rank != 4 || depth.Shape.Skip(1).Any(d => d < 0) || s < 1 || depth.Shape[1] % (s * s) != 0)
        {
            throw c.Unsupported($"needs a 4-D tensor with fixed channel and spatial sizes and a positive blocksize dividing the channels (depth side {depth.ShapeText}, blocksize {s}).");
        }

        return (depth.Shape[1] / (s * s), depth.Shape[2], depth.Shape[3], s);
    }

    /// <summary>Y is X with another shape (Flatten, Reshape, Squeeze, Unsqueeze): dX = Reshape(dY, Shape(X)).</summary>
    public static void ReshapeBack(GradientContext c) =>
        c.SetInputGradient(0, c.Graph.ReshapeLike(c.OutputGradient(0)!, c.Input(0)));

    /// <summary>Y = X: dX = dY.</summary>
    public static void PassThrough(GradientContext c) => c.SetInputGradient(0, c.OutputGradient(0)!);

    /// <summary>
    /// Inference-mode Dropout is the identity: dX = dY (the boolean mask output carries no gradient), and so is
    /// training mode with a constant ratio of 0. Other training-mode Dropout (a <c>training_mode</c> input that is true
    /// or computed at run time) draws a random mask and is refused.
    /// </summary>
    public static void Dropout(GradientContext c)
    {
        if (c.HasInput(2))
        {
            // Training mode with a constant ratio of 0 keeps every element with scale 1/(1 − 0): the identity too
            // (torch 1.13 exports Swin's attention and projection dropouts so, with training_mode true).
            var training = c.ConstantInput(2);
            var ratio = c.HasInput(1) ? c.ConstantInput(1) : null;
            bool identity = ratio is not null && ratio.All(r => r == 0);
            if (!identity && (training is null || training.Any(v => v != 0)))
            {
                throw c.Unsupported("Dropout in training mode (training_mode true or computed at run time) with a ratio that is not a constant 0 drops random elements; only inference-mode Dropout, the identity, is supported.");
            }
        }

        if (c.OutputGradient(0) is { } dY)
        {
            c.SetInputGradient(0, dY);
        }
    }

    /// <summary>Y = Cast(X) (or CastLike) between floating-point types: dX = Cast(dY) back to X's type. Casts from or to integers are not differentiable.</summary>
    public static void Cast(GradientContext c)
    {
        var from = c.InputInfo(0);
        var to = c.OutputInfo(0);
        if (!from.IsFloatingPoint || !to.IsFloatingPoint)
        {
            throw c.Unsupported($"a cast from {from.ElementType} to {to.ElementType} is not differentiable (only casts between floating-point types are).");
        }

        var dY = c.OutputGradient(0)!;
        c.SetInputGradient(0, from.ElementType == to.ElementType ? dY : c.Graph.Cast(dY, from.ElementType));
    }

    /// <summary>Y = Transpose(X, perm) (default perm reverses the axes): dX = Transpose(dY, perm⁻¹).</summary>
    public static void Transpose(GradientContext c)
    {
        int rank = c.InputInfo(0).Rank;
        var perm = c.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        var inverse = new long[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            inverse[perm[i]] = i;
        }

        c.SetInputGradient(0, c.Graph.Transpose(c.OutputGradient(0)!, inverse));
    }

    /// <summary>
    /// Y = Concat(X₀, X₁, …) along axis: dY is split back along the axis with the inputs' sizes there (constants when
    /// the probed sizes are fixed, read with Shape at run time when they change with the batch).
    /// </summary>
    public static void Concat(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        int axis = NormalizeAxis(c, c.Int("axis", 0), c.OutputInfo(0).Rank);
        int count = c.InputCount;
        if (count == 1)
        {
            c.SetInputGradient(0, dY);
            return;
        }

        var sizes = Enumerable.Range(0, count).Select(i => c.InputInfo(i).Shape[axis]).ToArray();
        string split = sizes.All(s => s >= 0)
            ? g.Int64s(sizes)
            : g.Node("Concat", Enumerable.Range(0, count).Select(i => AxisSize(g, c.Input(i), axis)), AttributeValue.Int("axis", 0));
        var parts = g.Node("Split", [dY, split], count, AttributeValue.Int("axis", axis));
        for (int i = 0; i < count; i++)
        {
            if (c.NeedsInputGradient(i))
            {
                c.SetInputGradient(i, parts[i]);
            }
        }
    }

    /// <summary>
    /// Y₀, Y₁, … = Split(X) along axis (split sizes from the <c>split</c> input, <c>num_outputs</c> or equal parts):
    /// dX = Concat(dY₀, dY₁, …) along the axis, with zeros shaped like the outputs that receive no gradient.
    /// </summary>
    public static void Split(GradientContext c)
    {
        var g = c.Graph;
        int axis = NormalizeAxis(c, c.Int("axis", 0), c.InputInfo(0).Rank);
        var parts = new List<string>();
        for (int i = 0; i < c.OutputCount; i++)
        {
            if (c.OutputGradient(i) is { } dY)
            {
                parts.Add(dY);
            }
            else if (c.Output(i).Length > 0)
            {
                parts.Add(g.ZerosLike(c.Output(i), c.ElementType));
            }
            else
            {
                throw c.Unsupported($"output {i} has no name, so its size along the split axis is unknown.");
            }
        }

        c.SetInputGradient(0, parts.Count == 1 ? parts[0] : g.Node("Concat", parts, AttributeValue.Int("axis", axis)));
    }

    /// <summary>
    /// Y = Slice(X, starts, ends, axes, steps). With unit steps, dX = Pad(dY) with zeros: the pads are constants when
    /// the bounds are constant and the sliced axes have fixed sizes, and are computed at run time otherwise (bounds
    /// from Shape arithmetic, as exporters write a channel split, or batch-dependent axes), both normalised and
    /// clamped as the specification says. Otherwise (steps ≠ 1, axes not constant) the same Slice is applied to the
    /// flat positions of X and dY is scattered to the positions it selects (ScatterElements, several times slower).
    /// </summary>
    public static void Slice(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        if (StaticSlicePads(c) is { } pads)
        {
            c.SetInputGradient(0, pads.All(p => p == 0) ? dY : g.Node("Pad", [dY, g.Int64s(pads)]));
            return;
        }

        if (RunTimeSlicePads(c) is { } runTimePads)
        {
            c.SetInputGradient(0, g.Node("Pad", [dY, runTimePads]));
            return;
        }

        var inputs = new List<string> { Positions(g, c.Input(0)) };
        for (int i = 1; i < c.InputCount; i++)
        {
            inputs.Add(c.HasInput(i) ? c.Input(i) : "");
        }

        var selected = g.Node("Slice", inputs);
        c.SetInputGradient(0, ScatterToPositions(c, selected, dY, accumulate: false));
    }

    /// <summary>
    /// Y = Gather(X, indices, axis): dX = zeros with dY added at the gathered positions (ScatterND with reduction
    /// "add", so repeated indices accumulate). Negative indices are wrapped with X's run-time size along the axis;
    /// for axis ≠ 0 the axis is moved to the front for the scatter and back afterwards.
    /// </summary>
    public static void Gather(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var x = c.InputInfo(0);
        int rank = x.Rank;
        int axis = NormalizeAxis(c, c.Int("axis", 0), rank);
        int q = c.InputInfo(1).Rank;
        var indices = c.InputInfo(1).ElementType == TensorElementType.Int64 ? c.Input(1) : g.Cast(c.Input(1), TensorElementType.Int64);
        var size = g.Node("Gather", [g.Shape(c.Input(0)), g.Int64Scalar(axis)]);
        indices = g.Where(g.Node("Less", [indices, g.Int64Scalar(0)]), g.Add(indices, size), indices);
        var scatterIndices = g.Unsqueeze(indices, [-1]);
        var add = AttributeValue.String("reduction", "add");
        if (axis == 0)
        {
            c.SetInputGradient(0, g.Node("ScatterND", [g.ZerosLike(c.Input(0), c.ElementType), scatterIndices, dY], add));
            return;
        }

        // Xt = X with the gather axis first; dY (X[:axis] + I + X[axis+1:]) is permuted to I + X[:axis] + X[axis+1:].
        long[] front = [axis, .. Enumerable.Range(0, axis).Select(i => (long)i), .. Enumerable.Range(axis + 1, rank - axis - 1).Select(i => (long)i)];
        long[] updatesPerm =
        [
            .. Enumerable.Range(axis, q).Select(i => (long)i),
            .. Enumerable.Range(0, axis).Select(i => (long)i),
            .. Enumerable.Range(axis + q, rank - 1 - axis).Select(i => (long)i),
        ];
        var zeros = Filled(g, g.Node("Gather", [g.Shape(c.Input(0)), g.Int64s(front)]), 0, c.ElementType);
        var updates = updatesPerm.Select((p, i) => p == i).All(b => b) ? dY : g.Transpose(dY, updatesPerm);
        var scattered = g.Node("ScatterND", [zeros, scatterIndices, updates], add);
        c.SetInputGradient(0, g.Transpose(scattered, Inverse(front)));
    }

    /// <summary>
    /// Y = Pad(X, pads, constant_value, axes). Constant mode with constant, non-negative pads: dX = Slice(dY) back to
    /// X's extent. Every other case (reflect, edge and wrap modes, negative pads, pads computed at run time) pads the
    /// flat positions of X (shifted by one, so that constant padding reads position 0) with the same mode and adds dY
    /// into the positions it copies (reflected and edge elements are copied several times).
    /// </summary>
    public static void Pad(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        int rank = c.InputInfo(0).Rank;
        var mode = c.String("mode", "constant");
        if (mode is not ("constant" or "reflect" or "edge" or "wrap"))
        {
            throw c.Unsupported($"unknown Pad mode '{mode}'.");
        }

        var pads = c.ConstantInt64Input(1);
        long[]? axes = c.HasInput(3) ? c.ConstantInt64Input(3) : Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        if (mode == "constant" && pads is not null && axes is not null && pads.All(p => p >= 0))
        {
            var begin = new long[rank];
            for (int i = 0; i < axes.Length; i++)
            {
                begin[NormalizeAxis(c, axes[i], rank)] = pads[i];
            }

            var starts = g.Int64s(begin);
            c.SetInputGradient(0, g.Node("Slice", [dY, starts, g.Add(starts, g.Shape(c.Input(0)))]));
            return;
        }

        var shifted = g.Add(Positions(g, c.Input(0)), g.Int64Scalar(1));
        List<string> padInputs = [shifted, c.Input(1)];
        if (c.HasInput(3))
        {
            padInputs.AddRange(["", c.Input(3)]);
        }

        var sources = g.Node("Pad", padInputs, AttributeValue.String("mode", mode));
        var slots = g.Add(g.Reshape(g.Node("Size", [c.Input(0)]), g.Int64s(1)), g.Int64s(1));
        var scattered = g.Node("ScatterElements", [Filled(g, slots, 0, c.ElementType), g.Reshape(sources, g.Int64s(-1)), g.Reshape(dY, g.Int64s(-1))],
            AttributeValue.Int("axis", 0), AttributeValue.String("reduction", "add"));
        var dropped = g.Node("Slice", [scattered, g.Int64s(1), g.Int64s(long.MaxValue)]);
        c.SetInputGradient(0, g.ReshapeLike(dropped, c.Input(0)));
    }

    /// <summary>Y = Expand(X, shape) (numpy broadcasting): dX = dY summed over the broadcast axes.</summary>
    public static void Expand(GradientContext c) =>
        c.SetInputGradient(0, c.Graph.ReduceToShape(c.OutputGradient(0)!, c.OutputInfo(0).Shape, c.Input(0), c.InputInfo(0).Shape));

    /// <summary>Y = Tile(X, repeats): every element of X appears once per tile, so dX is the sum of dY over the tiles (scattered back with reduction "add").</summary>
    public static void Tile(GradientContext c)
    {
        var g = c.Graph;
        var sources = g.Node("Tile", [Positions(g, c.Input(0)), c.Input(1)]);
        c.SetInputGradient(0, ScatterToPositions(c, sources, c.OutputGradient(0)!, accumulate: true));
    }

    /// <summary>
    /// Applies Mᵀ along <paramref name="axis"/> of <paramref name="t"/>: result[…, p, …] = Σₒ M[o, p]·t[…, o, …], with
    /// <paramref name="map"/> the row-major [<paramref name="rows"/>, <paramref name="columns"/>] matrix of a forward
    /// linear map Y = M·X along that axis. A MatMul on the last two axes, a Transpose pair around it elsewhere.
    /// </summary>
    internal static string ApplyTransposedAlongAxis(GraphEmitter g, string t, int axis, int rank, float[] map, int rows, int columns, TensorElementType type)
    {
        var values = map.Select(v => (double)v).ToArray();
        if (axis == rank - 1)
        {
            return g.Node("MatMul", [t, g.Constant(type, [rows, columns], values)]);
        }

        if (axis == rank - 2)
        {
            var transposed = new double[values.Length];
            for (int o = 0; o < rows; o++)
            {
                for (int p = 0; p < columns; p++)
                {
                    transposed[(p * rows) + o] = values[(o * columns) + p];
                }
            }

            return g.Node("MatMul", [g.Constant(type, [columns, rows], transposed), t]);
        }

        long[] perm = [.. Enumerable.Range(0, rank).Where(i => i != axis).Select(i => (long)i), axis];
        var moved = g.Node("MatMul", [g.Transpose(t, perm), g.Constant(type, [rows, columns], values)]);
        return g.Transpose(moved, Inverse(perm));
    }

    /// <summary>A tensor of the run-time shape <paramref name="shape"/> (int64 1-D) filled with <paramref name="value"/>.</summary>
    internal static string Filled(GraphEmitter g, string shape, double value, TensorElementType type)
    {
        var tensor = TensorProtos.OfType("value", (TensorProto.Types.DataType)type, [1], [value]);
        return g.Node("ConstantOfShape", [shape], AttributeValue.FromProto(NodeExtensions.Tensor("value", tensor)));
    }

    /// <summary>An axis attribute or input normalised to [0, rank).</summary>
    internal static int NormalizeAxis(GradientContext c, long axis, int rank)
    {
        long normalized = axis < 0 ? axis + rank : axis;
        if (normalized < 0 || normalized >= Math.Max(rank, 1))
        {
            throw c.Unsupported($"axis {axis} is out of range for rank {rank}.");
        }

        return (int)normalized;
    }

    private static long[] Inverse(long[] perm)
    {
        var inverse = new long[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            inverse[perm[i]] = i;
        }

        return inverse;
    }

    /// <summary>Shape(x)[axis:axis+1] as a 1-D int64 tensor.</summary>
    private static string AxisSize(GraphEmitter g, string x, int axis) =>
        g.Node("Shape", [x], AttributeValue.Int("start", axis), AttributeValue.Int("end", axis + 1));

    /// <summary>An int64 tensor shaped like <paramref name="x"/> holding each element's row-major flat position.</summary>
    private static string Positions(GraphEmitter g, string x)
    {
        var range = g.Node("Range", [g.Int64Scalar(0), g.Node("Size", [x]), g.Int64Scalar(1)]);
        return g.ReshapeLike(range, x);
    }

    /// <summary>dX = zeros shaped like X with <paramref name="gradient"/> written (or added) at the flat positions <paramref name="positions"/> (same shape as the gradient).</summary>
    private static string ScatterToPositions(GradientContext c, string positions, string gradient, bool accumulate)
    {
        var g = c.Graph;
        var flatZeros = Filled(g, g.Reshape(g.Node("Size", [c.Input(0)]), g.Int64s(1)), 0, c.ElementType);
        var attributes = accumulate
            ? new[] { AttributeValue.Int("axis", 0), AttributeValue.String("reduction", "add") }
            : [AttributeValue.Int("axis", 0)];
        var scattered = g.Node("ScatterElements", [flatZeros, g.Reshape(positions, g.Int64s(-1)), g.Reshape(gradient, g.Int64s(-1))], attributes);
        return g.ReshapeLike(scattered, c.Input(0));
    }

    /// <summary>
    /// The zero pads that undo a Slice with constant bounds, unit steps and fixed sizes on the sliced axes, or null
    /// when the slice is not of that kind. Bounds are normalised as the ONNX specification says: negative starts and
    /// ends count from the end, then both are clamped to [0, size].
    /// </summary>
    private static long[]? StaticSlicePads(GradientContext c)
    {
        var shape = c.InputInfo(0).Shape;
        int rank = shape.Count;
        var starts = c.ConstantInt64Input(1);
        var ends = c.ConstantInt64Input(2);
        long[]? axes = c.HasInput(3) ? c.ConstantInt64Input(3) : Enumerable.Range(0, starts?.Length ?? 0).Select(i => (long)i).ToArray();
        long[]? steps = c.HasInput(4) ? c.ConstantInt64Input(4) : null;
        if (starts is null || ends is null || axes is null || (c.HasInput(4) && steps is null) || (steps is not null && steps.Any(s => s != 1)))
        {
            return null;
        }

        var pads = new long[2 * rank];
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = NormalizeAxis(c, axes[i], rank);
            long size = shape[axis];
            if (size < 0)
            {
                return null;
            }

            long start = Math.Clamp(starts[i] < 0 ? starts[i] + size : starts[i], 0, size);
            long end = Math.Clamp(ends[i] < 0 ? ends[i] + size : ends[i], 0, size);
            long length = Math.Max(0, end - start);
            pads[axis] = start;
            pads[rank + axis] = size - start - length;
        }

        return pads;
    }

    /// <summary>
    /// The zero pads that undo a Slice with unit steps and constant axes, computed in the graph from the run-time
    /// bounds and X's run-time shape: start and end are made non-negative (+ size when negative) and clamped to
    /// [0, size]; the pads are start before and size − start − max(end − start, 0) after. Null for other slices.
    /// </summary>
    private static string? RunTimeSlicePads(GradientContext c)
    {
        var g = c.Graph;
        int rank = c.InputInfo(0).Rank;
        long[]? steps = c.HasInput(4) ? c.ConstantInt64Input(4) : null;
        long count = c.InputInfo(1).Rank == 1 ? c.InputInfo(1).Shape[0] : -1;
        long[]? axes = c.HasInput(3) ? c.ConstantInt64Input(3) : count >= 0 ? Enumerable.Range(0, (int)count).Select(i => (long)i).ToArray() : null;
        if (axes is null || (c.HasInput(4) && (steps is null || steps.Any(step => step != 1))) || (count >= 0 && count != axes.Length))
        {
            return null;
        }

        var normalized = axes.Select(a => (long)NormalizeAxis(c, a, rank)).ToArray();
        if (normalized.Distinct().Count() != normalized.Length)
        {
            return null;
        }

        string AsInt64(int i) => c.InputInfo(i).ElementType == TensorElementType.Int64 ? c.Input(i) : g.Cast(c.Input(i), TensorElementType.Int64);
        var sizes = g.Node("Gather", [g.Shape(c.Input(0)), g.Int64s(normalized)]);
        var zero = g.Int64Scalar(0);
        string Clamped(string bound)
        {
            var nonNegative = g.Where(g.Node("Less", [bound, zero]), g.Add(bound, sizes), bound);
            return g.Node("Min", [g.Node("Max", [nonNegative, zero]), sizes]);
        }

        var start = Clamped(AsInt64(1));
        var length = g.Node("Max", [g.Sub(Clamped(AsInt64(2)), start), zero]);
        var after = g.Sub(g.Sub(sizes, start), length);

        // pads[a] = start[i] and pads[rank + a] = after[i] for a = axes[i]; 0 elsewhere (slot 0 of the gathered values).
        var values = g.Node("Concat", [g.Int64s(0), start, after], AttributeValue.Int("axis", 0));
        var slots = new long[2 * rank];
        for (int i = 0; i < normalized.Length; i++)
        {
            slots[normalized[i]] = 1 + i;
            slots[rank + normalized[i]] = 1 + normalized.Length + i;
        }

        return g.Node("Gather", [values, g.Int64s(slots)]);
    }

}
