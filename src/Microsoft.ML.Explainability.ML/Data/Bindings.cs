using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.ML.Data;

/// <summary>
/// The columns of an explain transformer over one input schema: the input and target columns it reads (checked),
/// and the columns it adds after the input's (saliency, optional raw map, class, score).
/// </summary>
internal sealed class Bindings
{
    public Bindings(DataViewSchema inputSchema, ExplainSettings settings, MethodRunner runner)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        InputSchema = inputSchema;
        Settings = settings;
        Runner = runner;
        InputColumn = CheckInput(inputSchema, settings.InputColumnName, runner.InputShape);
        if (settings.TargetColumnName is { } target)
        {
            var column = inputSchema.GetColumnOrNull(target)
                ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Could not find target column '{target}' in the input schema ({Names(inputSchema)}).");
            if (!TargetReader.IsSupported(column.Type))
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for target column '{target}': expected an integer or key type, got {column.Type}. The target column holds the class to explain: it must be an integer or a key.");
            }

            TargetColumn = column.Index;
        }

        ExtraColumns = (settings.ExtraInputColumns ?? []).Select(kv => CheckExtra(inputSchema, kv.Value, kv.Key, runner.OtherInputs[kv.Key])).ToArray();
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        int next = inputSchema.Count;
        builder.AddColumn(settings.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, runner.MapDimensions));
        SaliencyIndex = next++;
        if (settings.RawMapColumnName is { } raw)
        {
            builder.AddColumn(raw, new VectorDataViewType(NumberDataViewType.Single, runner.RawDimensions!));
            RawIndex = next++;
        }

        if (settings.ClassColumnName is { } cls)
        {
            builder.AddColumn(cls, NumberDataViewType.Int32);
            ClassIndex = next++;
        }

        if (settings.ScoreColumnName is { } score)
        {
            builder.AddColumn(score, NumberDataViewType.Single);
            ScoreIndex = next++;
        }

        OutputSchema = builder.ToSchema();
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public ExplainSettings Settings { get; }

    public MethodRunner Runner { get; }

    public int InputColumn { get; }

    public int TargetColumn { get; } = -1;

    /// <summary>The columns feeding a multi-input model's other inputs.</summary>
    public IReadOnlyList<ExtraInputColumn> ExtraColumns { get; }

    public int SaliencyIndex { get; }

    public int RawIndex { get; } = -1;

    public int ClassIndex { get; } = -1;

    public int ScoreIndex { get; } = -1;

    /// <summary>Whether output column <paramref name="index"/> is one this transformer adds.</summary>
    public bool IsAdded(int index) => index >= InputSchema.Count;

    /// <summary>The input columns needed to compute the active output columns.</summary>
    public IEnumerable<DataViewSchema.Column> Dependencies(Func<int, bool> isActive)
    {
        var needed = new SortedSet<int>();
        bool explain = false;
        for (int i = 0; i < OutputSchema.Count; i++)
        {
            if (!isActive(i))
            {
                continue;
            }

            if (IsAdded(i))
            {
                explain = true;
            }
            else
            {
                needed.Add(i);
            }
        }

        if (explain)
        {
            needed.Add(InputColumn);
            if (TargetColumn >= 0)
            {
                needed.Add(TargetColumn);
            }

            foreach (var extra in ExtraColumns)
            {
                needed.Add(extra.Index);
            }
        }

        return needed.Select(i => InputSchema[i]);
    }

    /// <summary>Checks the input column: present, a known-size vector of Single, C·H·W values, [C, H, W] if it says its dimensions.</summary>
    public static int CheckInput(DataViewSchema schema, string name, long[] shape)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find input column '{name}' in the input schema ({Names(schema)}).");
        string expected = $"a vector of Single holding the model's input [{string.Join(", ", shape)}] ({shape.Aggregate(1L, (a, b) => a * b)} values)";
        if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for input column '{name}': expected {expected}, got {column.Type}. Use ExtractPixels(outputAsFloatArray: true).");
        }

        long length = shape.Aggregate(1L, (a, b) => a * b);
        if (!vector.IsKnownSize || vector.Size != length)
        {
            var size = vector.IsKnownSize ? vector.Size.ToString(CultureInfo.InvariantCulture) : "variable";
            throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for input column '{name}': expected {expected}, got {size} values. Resize the images to {shape[^2]}×{shape[^1]} and extract {shape[0]} channel(s).");
        }

        if (vector.Dimensions.Length == 3 && !vector.Dimensions.Select(d => (long)d).SequenceEqual(shape))
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for input column '{name}': expected [{string.Join(", ", shape)}], got [{string.Join(", ", vector.Dimensions)}]. The model wants channels first: ExtractPixels with interleavePixelColors: false.");
        }

        return column.Index;
    }

    /// <summary>Checks a column feeding model input <paramref name="input"/>: present, a known-size vector of the input's element type with its per-row element count.</summary>
    public static ExtraInputColumn CheckExtra(DataViewSchema schema, string name, string input, (TensorElementType Type, long[] Dims) info)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find input column '{name}' (model input '{input}') in the input schema ({Names(schema)}).");
        long length = info.Dims.Aggregate(1L, (a, b) => a * b);
        var itemType = ItemType(info.Type);
        string expected = $"a vector of {itemType} holding model input '{input}' [{string.Join(", ", info.Dims)}] ({length} values)";
        if (column.Type is not VectorDataViewType vector || vector.ItemType != itemType)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for input column '{name}': expected {expected}, got {column.Type}.");
        }

        if (!vector.IsKnownSize || vector.Size != length)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for input column '{name}': expected {expected}, got {(vector.IsKnownSize ? vector.Size.ToString(CultureInfo.InvariantCulture) : "variable")} values.");
        }

        return new ExtraInputColumn(input, name, column.Index, info.Type, info.Dims);
    }

    /// <summary>The ML.NET item type of a column feeding an input of <paramref name="type"/>.</summary>
    public static PrimitiveDataViewType ItemType(TensorElementType type) => type switch
    {
        TensorElementType.Float => NumberDataViewType.Single,
        TensorElementType.Double => NumberDataViewType.Double,
        TensorElementType.Int64 => NumberDataViewType.Int64,
        TensorElementType.Int32 => NumberDataViewType.Int32,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"Inputs of element type {type} cannot be fed from a column."),
    };

    private static string Names(DataViewSchema schema) => schema.Count == 0 ? "no columns" : "columns: " + string.Join(", ", schema.Select(c => $"'{c.Name}'"));
}
