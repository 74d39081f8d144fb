using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Ablation-CAM's channel weights (Desai &amp; Ramaswamy 2020, pytorch-grad-cam's <c>AblationCAM</c>):
/// wₖ = (y − yₖ)/y with y the target score and yₖ the score when channel k of the layer is replaced by the
/// <see cref="AblationFill"/>: by default 0 if the image's minimum activation at the layer is 0, else that minimum − 1e7
/// (pytorch-grad-cam's <c>AblationLayer</c>); or always 0 (the paper). The ablation happens inside the graph: a mask input [N, C] (one-hot row per ablated
/// channel) drives a Where in front of the layer's consumers, so the N·C ablated passes run in batches.
/// A target score y of exactly 0 gives infinite weights, as in the reference.
/// </summary>
internal sealed class AblationCamWeighting : CamWeighting
{
    public const string MaskInput = "xai.ablation.mask";

    /// <summary>The prepared model with the layer's consumers reading the ablated layer.</summary>
    public override bool UsesGradients => false;

    public override bool RunsModel => true;

    public override FloatTensor RawMaps(CamBatch batch)
    {
        var ablation = batch.Sessions.Get("ablation:" + batch.Layer.Name, () => new ForwardRunner(BuildModel(batch.Model.Prepared, batch.Layer, batch.Options.AblationFill), [batch.Model.Output], batch.Execution));
        return WeightedSums(batch, Compute(ablation, batch.Inputs, batch.Model.Output, batch.Input, batch.Layer, batch.Scores, batch.Targets, batch.Seed, batch.Execution.BatchSize, batch.Cancellation));
    }

    public static OnnxModel BuildModel(OnnxModel prepared, TargetLayer layer, AblationFill fill = AblationFill.PyTorchGradCam)
    {
        var proto = prepared.Proto.Clone();
        var graph = proto.Graph;
        int original = graph.Node.Count;
        var emitter = new GraphEmitter(graph, prepared.Opset, "xai.ablation");
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = layer.Channels });
        graph.Input.Add(new ValueInfoProto { Name = MaskInput, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } });

        bool tokens = layer.Layout == LayerLayout.Tokens;
        var broadcast = emitter.Reshape(MaskInput, layer.Layout switch
        {
            LayerLayout.Tokens => emitter.Int64s(0, 1, layer.Channels),
            LayerLayout.ChannelsLast => emitter.Int64s(0, 1, 1, layer.Channels),
            _ => emitter.Int64s(0, layer.Channels, 1, 1),
        });
        var ablate = emitter.Node("Greater", [broadcast, emitter.Scalar(0.5)]);
        string value;
        if (fill == AblationFill.Zero)
        {
            value = emitter.Scalar(0);
        }
        else
        {
            var rowMin = emitter.ReduceMin(layer.Name, tokens ? [1, 2] : [1, 2, 3], keepDims: true);
            var isZero = emitter.Node("Equal", [rowMin, emitter.Scalar(0)]);
            value = emitter.Where(isZero, emitter.Scalar(0), emitter.Sub(rowMin, emitter.Scalar(1e7)));
        }

        var ablated = emitter.Where(ablate, value, layer.Name);

        for (int i = 0; i < original; i++)
        {
            var node = graph.Node[i];
            for (int j = 0; j < node.Input.Count; j++)
            {
                if (node.Input[j] == layer.Name)
                {
                    node.Input[j] = ablated;
                }
            }
        }

        // Move the new nodes right after the layer's producer, keeping the graph topologically sorted.
        var added = graph.Node.Skip(original).ToList();
        while (graph.Node.Count > original)
        {
            graph.Node.RemoveAt(graph.Node.Count - 1);
        }

        int producer = -1;
        for (int i = 0; i < original; i++)
        {
            if (graph.Node[i].Output.Contains(layer.Name))
            {
                producer = i;
            }
        }

        for (int i = 0; i < added.Count; i++)
        {
            graph.Node.Insert(producer + 1 + i, added[i]);
        }

        return new OnnxModel(proto);
    }

    private static double[] Compute(ForwardRunner ablation, FixedInputs others, string output, FloatTensor batch, TargetLayer layer, float[] scores, long[]? targets, FloatTensor? seed, int rowsPerCall, CancellationToken cancellationToken)
    {
        int n = batch.BatchSize, c = layer.Channels, rowLength = batch.RowLength;
        var weights = new double[n * c];
        for (int r = 0; r < n; r++)
        {
            var x = batch.Row(r).ToArray();
            for (int start = 0; start < c; start += rowsPerCall)
            {
                int count = Math.Min(rowsPerCall, c - start);
                var inputs = new float[count * rowLength];
                var masks = new float[count * c];
                for (int i = 0; i < count; i++)
                {
                    x.CopyTo(inputs, i * rowLength);
                    masks[(i * c) + start + i] = 1;
                }

                var feeds = others.OfRow(r, count).Feeds(new FloatTensor(inputs, [count, .. batch.Shape.Skip(1)]));
                feeds[MaskInput] = InputTensor.Float(new FloatTensor(masks, count, c));
                var ablated = ExplainedModel.Scores(ablation.Run(feeds, cancellationToken)[output], targets, seed, _ => r);
                for (int i = 0; i < count; i++)
                {
                    weights[(r * c) + start + i] = ((double)scores[r] - ablated[i]) / scores[r];
                }
            }
        }

        return weights;
    }
}
