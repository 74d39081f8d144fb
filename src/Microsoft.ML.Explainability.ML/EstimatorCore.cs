using Microsoft.ML.Data;
using Microsoft.ML.Explainability.ML.Data;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// What every explain estimator shares: the model is loaded when the estimator is made (so a missing or corrupt file
/// fails at the catalog call), <c>Fit</c> prepares the method, checks the schema and the first row, and
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

    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type or size.</exception>
    /// <exception cref="InvalidOperationException">The data view has no rows.</exception>
    public T Fit<T>(IDataView input, Func<ExplainSettings, OnnxModel, T> create)
        where T : ExplainTransformerBase
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = create(Settings, Model);
        try
        {
            transformer.GetOutputSchema(input.Schema);
            var column = input.Schema[Settings.InputColumnName];
            using var cursor = input.GetRowCursor([column]);
            if (!cursor.MoveNext())
            {
                throw new InvalidOperationException($"The data view given to Fit has no rows: an explain estimator reads the first row of '{Settings.InputColumnName}' to check the pipeline feeds the model. Fit on at least one example.");
            }

            VBuffer<float> first = default;
            cursor.GetGetter<VBuffer<float>>(column)(ref first);
            foreach (var value in first.DenseValues())
            {
                if (!float.IsFinite(value))
                {
                    throw new InvalidOperationException($"The first row of '{Settings.InputColumnName}' holds {value}; the model needs finite pixel values.");
                }
            }

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
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The input column '{Settings.InputColumnName}' was not found in the input schema (columns: {string.Join(", ", columns.Keys.Select(k => $"'{k}'"))}).");
        }

        if (input.Kind != SchemaShape.Column.VectorKind.Vector || input.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The input column '{Settings.InputColumnName}' is {input.Kind} of {input.ItemType}; expected a known-size vector of Single holding [C, H, W].");
        }

        if (Settings.TargetColumnName is { } target)
        {
            if (!columns.TryGetValue(target, out var targetColumn))
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The target column '{target}' was not found in the input schema.");
            }

            if (targetColumn.Kind != SchemaShape.Column.VectorKind.Scalar || !(targetColumn.IsKey || TargetReader.IsSupported(targetColumn.ItemType)))
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The target column '{target}' is {targetColumn.Kind} of {targetColumn.ItemType}; it must be an integer or a key.");
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
