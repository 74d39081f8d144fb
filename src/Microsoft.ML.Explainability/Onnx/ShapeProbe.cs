using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// Measures the element type and shape of every tensor by running the model in ONNX Runtime with every intermediate
/// tensor exposed as an output, on seeded random inputs at two batch sizes (2 and 3); dimensions that differ between
/// the two runs are marked batch-dependent. An input's symbolic first dimension is taken as the batch dimension.
/// </summary>
public static class ShapeProbe
{
    private static readonly long[] ProbeBatchSizes = [2, 3];

    /// <summary>Probes <paramref name="model"/>.</summary>
    /// <param name="model">The model (a symbolic batch dimension is expected; see <see cref="OnnxModel.WithSymbolicBatch"/>).</param>
    /// <param name="inputShapes">
    /// Shapes for inputs whose non-batch dimensions are symbolic (the batch entry is ignored). Inputs with fixed
    /// dimensions need no entry.
    /// </param>
    /// <exception cref="InputMismatchException">A symbolic non-batch dimension has no given size.</exception>
    public static ModelShapes Run(OnnxModel model, IReadOnlyDictionary<string, long[]>? inputShapes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var index = model.Index();
        var intermediates = model.Proto.Graph.Node.SelectMany(n => n.Output).Where(o => o.Length > 0).ToArray();
        var exposed = model.WithOutputs(intermediates);

        var runs = ProbeBatchSizes.Select(batch => RunOnce(exposed, batch, inputShapes)).ToArray();
        var result = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var name in runs[0].Keys)
        {
            var (type, first) = runs[0][name];
            var (_, second) = runs[1][name];
            var shape = first.Length == second.Length
                ? first.Select((d, i) => d == second[i] ? d : -1).ToArray()
                : first;
            var kind = index.KindOf(name);
            var producer = index.ProducerOf(name);

            // A first dimension of 2k at batch 2 and 3k at batch 3 holds k rows per input row (windows, heads).
            long multiple = shape.Length > 0 && shape[0] < 0 && second[0] - first[0] is var k && k > 0 && first[0] == 2 * k && second[0] == 3 * k ? k : 1;
            result[name] = new TensorInfo(
                name, kind, type, shape, producer?.NodeIndex,
                producer is { } p ? $"{index.OpType(p.NodeIndex)} '{index.NodeName(p.NodeIndex)}'" : null,
                index.ConsumersOf(name))
            { BatchMultiple = multiple };
        }

        foreach (var initializer in model.Proto.Graph.Initializer)
        {
            result[initializer.Name] = new TensorInfo(
                initializer.Name, TensorKind.Initializer, (TensorElementType)initializer.DataType, initializer.Dims.ToArray(),
                null, null, index.ConsumersOf(initializer.Name));
        }

        return new ModelShapes(result) { Model = model };
    }

    private static Dictionary<string, (TensorElementType Type, long[] Shape)> RunOnce(OnnxModel model, long batch, IReadOnlyDictionary<string, long[]>? inputShapes)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = OrtSessions.Create(model, options);
        var random = new Random(1234);
        var inputs = new List<OrtValue>();
        var result = new Dictionary<string, (TensorElementType, long[])>(StringComparer.Ordinal);
        try
        {
            var names = new List<string>();
            foreach (var (name, meta) in session.InputMetadata)
            {
                var shape = ResolveShape(name, meta.Dimensions, batch, inputShapes);
                inputs.Add(RandomValue(meta.ElementDataType, shape, random));
                names.Add(name);
                result[name] = (meta.ElementDataType, shape);
            }

            var outputNames = session.OutputMetadata.Keys.ToArray();
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, names, inputs, outputNames);
            for (int i = 0; i < outputNames.Length; i++)
            {
                if (!outputs[i].IsTensor)
                {
                    continue;
                }

                var info = outputs[i].GetTensorTypeAndShape();
                result[outputNames[i]] = (info.ElementDataType, info.Shape);
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOnnxModelException($"ONNX Runtime could not run the model to measure its tensor shapes (batch {batch}): {e.Message}", e);
        }
        finally
        {
            foreach (var value in inputs)
            {
                value.Dispose();
            }
        }

        return result;
    }

    internal static long[] ResolveShape(string name, int[] dims, long batch, IReadOnlyDictionary<string, long[]>? given)
    {
        var shape = new long[dims.Length];
        for (int d = 0; d < dims.Length; d++)
        {
            if (d == 0 && dims[0] <= 0)
            {
                shape[d] = batch;
            }
            else if (dims[d] > 0)
            {
                shape[d] = dims[d];
            }
            else if (given is not null && given.TryGetValue(name, out var g) && g.Length == dims.Length && g[d] > 0)
            {
                shape[d] = g[d];
            }
            else
            {
                throw new InputMismatchException($"Input '{name}' has a symbolic dimension {d} (shape [{string.Join(", ", dims)}]); give its size in the input shapes.");
            }
        }

        return shape;
    }

    private static OrtValue RandomValue(TensorElementType type, long[] shape, Random random)
    {
        var count = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        switch (type)
        {
            case TensorElementType.Float:
                return OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), shape);
            case TensorElementType.Double:
                return OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray(), shape);
            case TensorElementType.Int64:
                return OrtValue.CreateTensorValueFromMemory(new long[count], shape);
            case TensorElementType.Int32:
                return OrtValue.CreateTensorValueFromMemory(new int[count], shape);
            case TensorElementType.Bool:
                return OrtValue.CreateTensorValueFromMemory(new bool[count], shape);
            default:
                throw new InputMismatchException($"Inputs of element type {type} are not supported by the shape probe.");
        }
    }
}
