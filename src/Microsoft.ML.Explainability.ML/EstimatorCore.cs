using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.ML.Data;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// What every explain estimator shares: the model is loaded when the estimator is made (so a missing or corrupt file
/// fails at the catalog call), <c>Fit</c> prepares the method and checks the schema (no row is read), and
/// <c>GetOutputSchema</c> answers from the columns' kinds.
/// </summary>
internal sealed class EstimatorCore
{
    private static readonly MLContext ShapeContext = new();

    public EstimatorCore(ExplainOptionsBase options, string kind, ExplanationMethod method, Action<ExplainSettings>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Settings = options.ToSettings(kind, method);
        configure?.Invoke(Settings);
        ExplainSettingsValidator.Validate(Settings, options.Limits ?? throw new ArgumentException("Limits must not be null.", nameof(options)));

        Model = options.LoadModel();
    }

    public ExplainSettings Settings { get; }

    public OnnxModel Model { get; }

    /// <summary>
    /// Makes the transformer and checks it against <paramref name="input"/>'s schema only, as ML.NET's estimators do:
    /// no row is read, so <c>Fit</c> on an empty view (the "fit on an empty list to get the schema" pattern) works.
    /// Row values are checked by the cursor (non-finite pixels fail there, naming the row).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type or size.</exception>
    public T Fit<T>(IDataView input, Func<ExplainSettings, OnnxModel, T> create)
        where T : ExplainTransformerBase
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = create(Settings, Model);
        try
        {
            transformer.GetOutputSchema(input.Schema);
            return transformer;
        }
        catch
        {
            transformer.Dispose();
            throw;
        }
    }

    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong kind.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name, StringComparer.Ordinal);
        if (!columns.TryGetValue(Settings.InputColumnName, out var input))
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Could not find input column '{Settings.InputColumnName}' in the input schema (columns: {string.Join(", ", columns.Keys.Select(k => $"'{k}'"))}).");
        }

        if (input.Kind != SchemaShape.Column.VectorKind.Vector || input.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{Settings.InputColumnName}': expected a known-size vector of Single holding [C, H, W], got {input.Kind} of {input.ItemType}. Use ExtractPixels(outputAsFloatArray: true).");
        }

        if (Settings.TargetColumnName is { } target)
        {
            if (!columns.TryGetValue(target, out var targetColumn))
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Could not find target column '{target}' in the input schema.");
            }

            if (targetColumn.Kind != SchemaShape.Column.VectorKind.Scalar || !(targetColumn.IsKey || TargetReader.IsSupported(targetColumn.ItemType)))
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for target column '{target}': expected an integer or key type, got {targetColumn.Kind} of {targetColumn.ItemType}. The target column holds the class to explain: it must be an integer or a key.");
            }
        }

        foreach (var (modelInput, name) in Settings.ExtraInputColumns ?? [])
        {
            if (!columns.TryGetValue(name, out var extra))
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Could not find input column '{name}' (model input '{modelInput}') in the input schema (columns: {string.Join(", ", columns.Keys.Select(k => $"'{k}'"))}).");
            }

            if (extra.Kind != SchemaShape.Column.VectorKind.Vector)
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{name}' (model input '{modelInput}'): expected a known-size vector, got {extra.Kind} of {extra.ItemType}.");
            }
        }

        var added = AddedColumns();
        return new SchemaShape(inputSchema.Where(c => !added.Any(a => a.Name == c.Name)).Concat(added));
    }

    /// <summary>
    /// The shapes of the added columns. <c>SchemaShape.Column</c> cannot be made outside ML.NET, so they are asked
    /// of ML.NET's <c>CustomMapping</c> estimator with an output schema definition naming and typing them.
    /// </summary>
    private SchemaShape.Column[] AddedColumns()
    {
        var definition = SchemaDefinition.Create(typeof(ShapeRow));
        void Name(string member, string? name)
        {
            var column = definition.First(c => c.MemberName == member);
            if (name is null)
            {
                definition.Remove(column);
            }
            else
            {
                column.ColumnName = name;
            }
        }

        Name(nameof(ShapeRow.Saliency), Settings.OutputColumnName);
        Name(nameof(ShapeRow.Raw), Settings.RawMapColumnName);
        Name(nameof(ShapeRow.Class), Settings.ClassColumnName);
        Name(nameof(ShapeRow.Score), Settings.ScoreColumnName);
        foreach (var column in definition.Where(c => c.MemberName is nameof(ShapeRow.Saliency) or nameof(ShapeRow.Raw)))
        {
            column.ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1);
        }

        var estimator = ShapeContext.Transforms.CustomMapping<EmptyRow, ShapeRow>((_, _) => { }, null, null, definition);
        return [.. estimator.GetOutputSchema(new SchemaShape([]))];
    }

    /// <summary>No input columns.</summary>
    private sealed class EmptyRow
    {
    }

    /// <summary>The added columns' kinds and types.</summary>
    private sealed class ShapeRow
    {
#pragma warning disable CA1819
        public float[] Saliency { get; set; } = [];

        public float[] Raw { get; set; } = [];
#pragma warning restore CA1819

        public int Class { get; set; }

        public float Score { get; set; }
    }
}
