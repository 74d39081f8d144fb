using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// A model prepared for explanation (opset ≥ 17, symbolic batch), its measured shapes, the float input explained, the
/// other inputs (fed by the caller and held fixed) and the output explained; checks inputs, targets and seeds before
/// any ONNX Runtime call.
/// </summary>
internal sealed class ExplainedModel
{
    private ExplainedModel(OnnxModel original, OnnxModel prepared, ModelShapes shapes, string input, IReadOnlyList<string> otherInputs, string output)
    {
        Original = original;
        Prepared = prepared;
        Shapes = shapes;
        Input = input;
        OtherInputs = otherInputs;
        Output = output;
        var outputShape = shapes[output].Shape;
        ClassCount = outputShape.Count == 2 ? (int)outputShape[1] : -1;
    }

    public OnnxModel Original { get; }

    public OnnxModel Prepared { get; }

    public ModelShapes Shapes { get; }

    /// <summary>The explained input (float32, batched).</summary>
    public string Input { get; }

    /// <summary>The model's other inputs, in the model's order: fed by the caller per row and held fixed.</summary>
    public IReadOnlyList<string> OtherInputs { get; }

    /// <summary>The output whose score is explained.</summary>
    public string Output { get; }

    /// <summary>Classes of a [N, classes] output, else −1 (only given seeds can be used).</summary>
    public int ClassCount { get; }

    public TensorInfo InputInfo => Shapes[Input];

    /// <summary>Height and width of an image input [N, C, H, W], else (−1, −1).</summary>
    public (int Height, int Width) ImageSize => InputInfo.Shape is [_, _, var h, var w] ? ((int)h, (int)w) : (-1, -1);

    /// <summary>
    /// Prepares <paramref name="model"/>; <paramref name="output"/> null picks the first [N, classes] float output.
    /// <paramref name="explainedInput"/> null picks the model's only input, or else its only float input of rank 4 (an
    /// image [N, C, H, W]); every other input must be batched and of a type <see cref="InputTensor"/> holds.
    /// </summary>
    /// <exception cref="InputMismatchException">The explained input is unknown, ambiguous or not float32, or another input cannot be fed per row.</exception>
    public static ExplainedModel Create(OnnxModel model, string? output, string? explainedInput = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prepared = GradientModel.Prepare(model);
        var inputs = prepared.InputNames;
        var shapes = ShapeProbe.Run(prepared);
        var input = ExplainedInput.Choose(inputs, name => (shapes[name].ElementType, shapes[name].Rank, shapes[name].ShapeText), explainedInput);
        var others = inputs.Where(i => i != input).ToArray();
        foreach (var other in others)
        {
            var info = shapes[other];
            if (info.Rank == 0 || !info.IsBatchDependent(0))
            {
                throw new InputMismatchException($"Input '{other}' has shape {info.ShapeText} without a batch dimension; explainers feed the inputs they do not explain row by row, so each must have the batch as its first dimension.", other);
            }

            if (!InputTensor.SupportedElementTypes.Contains(info.ElementType))
            {
                throw new InputMismatchException($"Input '{other}' is {info.ElementType}; the inputs an explainer does not explain can be {string.Join(", ", InputTensor.SupportedElementTypes)}.", other);
            }
        }

        output = ExplainedOutput.Resolve(prepared, shapes, output);

        return new ExplainedModel(model, prepared, shapes, input, others, output);
    }

    /// <summary>
    /// Checks the other inputs of a request of <paramref name="rows"/> rows: every other input given (none for a
    /// single-input model), no unknown name, the element type and non-batch dimensions of the model's input, the same
    /// row count as the batch, finite floating-point values.
    /// </summary>
    /// <exception cref="InputMismatchException">Missing, unknown, wrong element type, shape or rows (naming the input).</exception>
    /// <exception cref="NonFiniteInputException">A NaN or ±∞ in a float input (its parameter name is <c>Inputs['name']</c>).</exception>
    public FixedInputs CheckInputs(IReadOnlyDictionary<string, InputTensor>? inputs, int rows)
    {
        inputs ??= new Dictionary<string, InputTensor>();
        foreach (var name in inputs.Keys)
        {
            if (name == Input)
            {
                throw new InputMismatchException($"'{name}' is the explained input: pass it as the batch, not among the other inputs.", name);
            }

            if (!OtherInputs.Contains(name, StringComparer.Ordinal))
            {
                throw new InputMismatchException($"The model has no input named '{name}'; the inputs fed besides the explained '{Input}' are [{string.Join(", ", OtherInputs.Select(o => $"'{o}'"))}].", name);
            }
        }

        foreach (var name in OtherInputs)
        {
            var info = Shapes[name];
            if (!inputs.TryGetValue(name, out var tensor) || tensor is null)
            {
                throw new InputMismatchException($"Input '{name}' ({info.ElementType} {info.ShapeText}) is not given: a model with several inputs explains '{Input}' with every other input fed by the caller (ExplanationRequest.Inputs, an input column in ML.NET, --input {name}=file.npy in the CLI).", name);
            }

            if (tensor.ElementType != info.ElementType)
            {
                throw new InputMismatchException($"Input '{name}' is {info.ElementType} but was given {tensor.ElementType}.", name);
            }

            bool shapeOk = tensor.Rank == info.Rank && info.Shape.Select((d, i) => i == 0 || d < 0 || d == tensor.Shape[i]).All(x => x);
            if (!shapeOk)
            {
                throw new InputMismatchException($"Input '{name}' expects shape {info.ShapeText} but was given {tensor.ShapeText}.", name);
            }

            if (tensor.BatchSize != rows)
            {
                throw new InputMismatchException($"Input '{name}' has {tensor.BatchSize} rows but the explained batch has {rows}; each row's other inputs are given with it.", name);
            }

            if (tensor.FirstNonFinite() is var (row, index, value))
            {
                throw new NonFiniteInputException($"Inputs['{name}']", row, index, value);
            }
        }

        return new FixedInputs(Input, inputs.Count == 0 ? inputs : inputs.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), rows);
    }

    /// <summary>Checks the batch's shape against the input and that every value is finite.</summary>
    /// <exception cref="InputMismatchException">Wrong rank or non-batch dimensions, or no rows.</exception>
    /// <exception cref="NonFiniteInputException">A NaN or infinity, naming its row.</exception>
    public void CheckBatch(FloatTensor batch, string paramName = "batch")
    {
        ArgumentNullException.ThrowIfNull(batch, paramName);
        var expected = InputInfo.Shape;
        bool ok = batch.Rank == expected.Count && batch.BatchSize > 0 && expected.Select((d, i) => i == 0 || d < 0 || d == batch.Shape[i]).All(x => x);
        if (!ok)
        {
            throw new InputMismatchException($"Input '{Input}' expects shape {InputInfo.ShapeText} (at least one row) but was given {batch.ShapeText}.");
        }

        CheckFinite(batch, paramName);
    }

    public static void CheckFinite(FloatTensor tensor, string paramName)
    {
        int rowLength = tensor.RowLength;
        var data = tensor.Data;
        for (int i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                throw new NonFiniteInputException(paramName, i / rowLength, i % rowLength, data[i]);
            }
        }
    }

    /// <summary>Class per row (−1 for the predicted class); null means predicted for every row.</summary>
    /// <exception cref="InputMismatchException">Wrong count, or a class outside [−1, classes).</exception>
    public long[] CheckTargets(long[]? targets, int rows)
    {
        if (ClassCount < 0)
        {
            throw new InputMismatchException($"Output '{Output}' has shape {Shapes[Output].ShapeText}, not [N, classes]: give a seed tensor instead of class targets.");
        }

        if (targets is null)
        {
            return Enumerable.Repeat(-1L, rows).ToArray();
        }

        if (targets.Length != rows)
        {
            throw new InputMismatchException($"{targets.Length} targets were given for {rows} rows.");
        }

        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] < -1 || targets[i] >= ClassCount)
            {
                throw new InputMismatchException($"Target {targets[i]} of row {i} is out of range: output '{Output}' has {ClassCount} classes (0 to {ClassCount - 1}; −1 for the predicted class).");
            }
        }

        return targets;
    }

    /// <summary>Checks a caller seed: the output's shape with the batch's row count, finite.</summary>
    public void CheckSeed(FloatTensor seed, int rows)
    {
        ArgumentNullException.ThrowIfNull(seed);
        var expected = Shapes[Output];
        bool ok = seed.Rank == expected.Rank && seed.BatchSize == rows && expected.Shape.Select((d, i) => d < 0 || d == seed.Shape[i]).All(x => x);
        if (!ok)
        {
            throw new InputMismatchException($"The seed must have the shape of '{Output}' {expected.ShapeText} with {rows} rows; it has {seed.ShapeText}.");
        }

        CheckFinite(seed, nameof(seed));
    }

    /// <summary>Checks a batch and its class targets together (the entry of every explainer's class overload).</summary>
    /// <returns>The targets, −1 for every row when none are given.</returns>
    public long[] CheckRequest(FloatTensor batch, long[]? targets)
    {
        CheckBatch(batch);
        return CheckTargets(targets, batch.BatchSize);
    }

    /// <summary>Checks a batch and its caller seed together (the entry of every explainer's seed overload).</summary>
    /// <returns>The seed.</returns>
    public FloatTensor CheckRequest(FloatTensor batch, FloatTensor seed)
    {
        CheckBatch(batch);
        CheckSeed(seed, batch.BatchSize);
        return seed;
    }

    /// <summary>
    /// Checks a request — its batch, its class targets or seed, and the model's other inputs — the entry of every
    /// explainer: class targets (−1 for every row when none are given) or the seed, and the other inputs held fixed.
    /// </summary>
    public (long[]? Targets, FloatTensor? Seed, FixedInputs Inputs) Check(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var batch = request.Batch;
        return request.Seed is null
            ? (CheckRequest(batch, request.Targets), null, CheckInputs(request.Inputs, batch.BatchSize))
            : (null, CheckRequest(batch, request.Seed), CheckInputs(request.Inputs, batch.BatchSize));
    }

    /// <summary>Replaces −1 targets by the arg-max of each row of <paramref name="outputs"/> ([N, classes]).</summary>
    public static long[] Resolve(long[] targets, FloatTensor outputs)
    {
        var resolved = (long[])targets.Clone();
        int classes = outputs.RowLength;
        for (int r = 0; r < resolved.Length; r++)
        {
            if (resolved[r] < 0)
            {
                var row = outputs.Row(r);
                int best = 0;
                for (int k = 1; k < classes; k++)
                {
                    if (row[k] > row[best])
                    {
                        best = k;
                    }
                }

                resolved[r] = best;
            }
        }

        return resolved;
    }

    /// <summary>The target score of each row: output[target] for class targets, ⟨seed, output⟩ for a given seed.</summary>
    public static float[] Scores(FloatTensor outputs, long[]? targets, FloatTensor? seed, Func<int, int>? rowOf = null)
    {
        int rows = outputs.BatchSize;
        var scores = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            int source = rowOf?.Invoke(r) ?? r;
            var row = outputs.Row(r);
            if (seed is null)
            {
                scores[r] = row[(int)targets![source]];
            }
            else
            {
                var s = seed.Row(source);
                double sum = 0;
                for (int k = 0; k < row.Length; k++)
                {
                    sum += (double)row[k] * s[k];
                }

                scores[r] = (float)sum;
            }
        }

        return scores;
    }
}
