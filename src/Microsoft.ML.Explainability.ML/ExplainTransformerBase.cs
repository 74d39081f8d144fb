using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.ML.Data;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// What every explain transformer does: adds a saliency column (and optionally the raw layer map, the explained
/// class and its score) computed by an explanation method of the core library over the ONNX model, in batches of
/// BatchSize rows per ONNX Runtime call, lazily and in row order. Row-to-row mapping (for
/// <c>PredictionEngine</c>) explains one row per call.
/// </summary>
/// <remarks>
/// <para>
/// <b>Saving.</b> ML.NET does not let an assembly outside it register a loadable transformer, so
/// <c>mlContext.Model.Save</c> cannot store this one; it throws <see cref="NotSupportedException"/> pointing to
/// <see cref="ExplainModelStore.SaveWithExplainers(ModelOperationsCatalog, ITransformer, DataViewSchema, string)"/>,
/// which writes ML.NET's own model for the ML.NET parts of the pipeline and the ONNX model plus versioned settings for
/// each explain transformer, and <see cref="ExplainModelStore.LoadWithExplainers(ModelOperationsCatalog, string, out DataViewSchema)"/>,
/// which rebuilds the same chain (batching included).
/// </para>
/// <para>Holds ONNX Runtime sessions: dispose it (or let the finalizers of ONNX Runtime's handles run).</para>
/// </remarks>
public abstract class ExplainTransformerBase : ITransformer, IDisposable
{
    private readonly MethodRunner _runner;
    private bool _disposed;

    private protected ExplainTransformerBase(ExplainSettings settings, OnnxModel model)
    {
        Settings = settings;
        Model = model;
        _runner = new MethodRunner(model, settings);
    }

    /// <summary>The input column ([C, H, W] pixels).</summary>
    public string InputColumnName => Settings.InputColumnName;

    /// <summary>The saliency column.</summary>
    public string OutputColumnName => Settings.OutputColumnName;

    /// <summary>The method run (its registry entry).</summary>
    public ExplanationMethod Method => _runner.Method;

    /// <summary>The model's input [C, H, W].</summary>
    public IReadOnlyList<long> InputShape => _runner.InputShape;

    /// <summary>The saliency map's dimensions ([H, W], or [C, H, W] without channel reduction).</summary>
    public IReadOnlyList<int> SaliencyDimensions => _runner.MapDimensions;

    /// <summary>The CAM target layer (CAM methods and Guided Grad-CAM), else null.</summary>
    public TargetLayer? TargetLayer => _runner.Layer;

    /// <summary>
    /// The ONNX Runtime execution provider this transformer actually runs on: "CUDAExecutionProvider" when the CUDA
    /// device asked for is usable, else "CPUExecutionProvider" (no device asked for, or a fall-back).
    /// </summary>
    public string ExecutionProvider => _runner.ExecutionProvider;

    /// <summary>The CUDA device the transformer runs on, or null when it runs on the CPU.</summary>
    public int? GpuDeviceId => _runner.ExecutionProvider == "CUDAExecutionProvider" ? Settings.GpuDeviceId : null;

    /// <summary>Why CUDA was not used although asked for (only with <c>fallbackToCpu: true</c>), or null.</summary>
    public string? FallbackReason => _runner.FallbackReason;

    /// <summary>The ONNX model explained (its bytes are what <see cref="ExplainModelStore"/> saves).</summary>
    public OnnxModel Model { get; }

    /// <summary>Always true: the transformer maps row to row (one row per call; cursors batch).</summary>
    public bool IsRowToRowMapper => true;

    internal ExplainSettings Settings { get; }

    /// <summary>The input schema plus the explanation columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input or target column is missing or of the wrong type or size (the message says which and what is expected).</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema).OutputSchema;

    /// <summary>A row-to-row mapper (used by <c>PredictionEngine</c>): each row is explained alone when an explanation column is read.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new ExplainRowMapper(Bind(inputSchema));

    /// <summary>The lazy explained view of <paramref name="input"/>: nothing runs until a cursor moves; a cursor reads BatchSize rows ahead and explains them in one call.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ExplainDataView(input, Bind(input.Schema));
    }

    /// <summary>Not supported: see <see cref="ExplainModelStore"/>.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(
        $"{GetType().Name} cannot be saved with MLContext.Model.Save: ML.NET does not let an outside assembly register a loadable transformer. " +
        "Save the pipeline with mlContext.Model.SaveWithExplainers(model, inputSchema, path) and load it with mlContext.Model.LoadWithExplainers(path, out inputSchema) " +
        "(namespace Microsoft.ML.Explainability.ML): ML.NET parts are stored as ML.NET models, explain transformers as their ONNX model and settings.");

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the ONNX Runtime sessions.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _runner.Dispose();
        }

        _disposed = true;
    }

    /// <summary>Rebuilds the transformer class named by <see cref="ExplainSettings.Kind"/>.</summary>
    internal static ExplainTransformerBase Create(ExplainSettings settings, OnnxModel model) => settings.Kind switch
    {
        GradCamTransformer.KindName => new GradCamTransformer(settings, model),
        LrpTransformer.KindName => new LrpTransformer(settings, model),
        GuidedBackpropTransformer.KindName => new GuidedBackpropTransformer(settings, model),
        ExplainTransformer.KindName => new ExplainTransformer(settings, model),
        _ => throw new InvalidDataException($"Unknown explain transformer kind '{settings.Kind}'."),
    };

    private Bindings Bind(DataViewSchema inputSchema)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new Bindings(inputSchema, Settings, _runner);
    }
}
