using System.Globalization;
using Microsoft.ML.Data;

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

    private static string Names(DataViewSchema schema) => schema.Count == 0 ? "no columns" : "columns: " + string.Join(", ", schema.Select(c => $"'{c.Name}'"));
}
