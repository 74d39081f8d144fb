using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Rules;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

// LRP on every model of a zoo folder (eng/model-zoo/export_zoo.py writes /work/zoo): for each model × composite,
// pass/fail and conservation. With the logit seed, Σ R_input = logit − (relevance absorbed by biases and stabilisers).
// The absorbed part is measured node by node: every node whose rule is not conservative by construction (linear layers:
// bias and ε; Norm nodes: constant addends and the stabiliser) gets an Identity on each data input, so that the
// relevance entering it (Σ R of its output) and leaving it (Σ R of each private input copy) are both returned; products
// of two run-time tensors (attention) count with the linear layers, LayerNormalization (β and ε) and Softmax (AttnLRP's
// Taylor bias) and Concat (a constant concatenated to the signal, such as a class token, keeps its share) with the norm
// nodes. The residual logit − absorbed − Σ R_input is what the other nodes (Pass, Gate, value movement, MaxPool, Concat, Split…)
// failed to conserve; it must be within 1e-3·|logit|. Not run in CI (needs the exported models); no Python needed.
var folder = args.Length > 0 ? args[0] : "/work/zoo";
var only = args.Length > 1 ? args[1].Split(',') : null;
var composites = new[] { LrpComposite.EpsilonPlus(), LrpComposite.EpsilonAlpha2Beta1(), LrpComposite.Transformer(), LrpComposite.AttnLrp() };
var transformerComposites = new HashSet<string>([LrpComposite.Transformer().Name, LrpComposite.AttnLrp().Name], StringComparer.Ordinal);
var absorbing = new HashSet<string>(StringComparer.Ordinal)
{
    "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Sum", "Mean", "AveragePool", "GlobalAveragePool", "ReduceMean", "ReduceSum",
    "LayerNormalization", "Softmax", "Concat",
};

Console.WriteLine("| model | composite | result | logit | Σ R input | absorbed (linear) | absorbed (norm) | residual ÷ abs(logit) | s |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
int failures = 0;
foreach (var file in Directory.GetFiles(folder, "*.onnx").Order(StringComparer.Ordinal))
{
    var name = Path.GetFileNameWithoutExtension(file);
    if (only is not null && !only.Contains(name))
    {
        continue;
    }

    foreach (var composite in composites)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var prepared = GradientModel.Prepare(OnnxModel.Load(file));

            // The transformer composites only on models with products of two run-time tensors (attention).
            var initializers = prepared.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            if (transformerComposites.Contains(composite.Name) && !prepared.Graph.Node.Any(n => n.OpType == "MatMul" && !initializers.Contains(n.Input[1])))
            {
                continue;
            }

            var (canonized, _) = composite.Canonize(prepared);

            // A head whose weights are all zero (torchvision's ViT initialises it so) makes every logit 0, and there is
            // nothing to conserve: then the head's input is explained instead, with a seeded random ±1 relevance on it.
            var (explained, headless) = WithoutZeroHead(canonized);
            var (instrumented, probes) = Instrument(explained, absorbing, composite.ProductRule is AttentionHeadRule);
            var tensors = probes.SelectMany(p => p.Inputs.Append(p.Output)).Distinct(StringComparer.Ordinal).ToArray();
            using var lrp = new LrpExplainer(instrumented, new LrpOptions
            {
                Composite = composite.WithCanonizers([]),
                Seed = LrpSeed.Logit,
                Output = headless ? instrumented.OutputNames[0] : null,
                RelevanceOf = tensors,
                Execution = new ExecutionOptions { IntraOpThreads = 2 },
            });
            var input = instrumented.Graph.Input.First(i => i.Name == instrumented.InputNames[0]);
            var shape = input.Type.TensorType.Shape.Dim.Select((d, i) => i == 0 ? 1L : d.DimValue > 0 ? d.DimValue : 224L).ToArray();
            var random = new Random(17);
            var x = new FloatTensor(Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray(), shape);
            LrpResult result;
            double logit;
            if (headless)
            {
                var features = lrp.Explain(x, [-1]).Outputs;
                var seed = new FloatTensor(features.Data.Select(_ => random.Next(2) == 0 ? -1f : 1f).ToArray(), features.Shape);
                result = lrp.Explain(x, seed);
                logit = features.Data.Zip(seed.Data, (f, s) => (double)f * s).Sum();
            }
            else
            {
                result = lrp.Explain(x);
                logit = result.TargetScores![0];
            }

            double relevanceIn = Sum(result.Relevance);
            double linear = 0, norm = 0;
            foreach (var probe in probes)
            {
                double absorbed = Sum(result.LayerRelevances[probe.Output]) - probe.Inputs.Sum(i => Sum(result.LayerRelevances[i]));
                if (probe.Linear)
                {
                    linear += absorbed;
                }
                else
                {
                    norm += absorbed;
                }
            }

            double residual = (logit - linear - norm - relevanceIn) / Math.Abs(logit);
            bool pass = double.IsFinite(relevanceIn) && Math.Abs(residual) <= 1e-3;
            failures += pass ? 0 : 1;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name}{(headless ? " (head's input)" : "")} | {composite.Name} | {(pass ? "pass" : "FAIL (conservation)")} | {logit:G5} | {relevanceIn:G5} | {linear:G5} | {norm:G5} | {residual:E2} | {watch.Elapsed.TotalSeconds:F0} |"));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failures++;
            var message = e.Message.ReplaceLineEndings(" ");
            Console.WriteLine($"| {name} | {composite.Name} | FAIL: {e.GetType().Name}: {message[..Math.Min(message.Length, 220)]} | | | | | | {watch.Elapsed.TotalSeconds:F0} |");
        }
    }
}

return failures == 0 ? 0 : 1;

static double Sum(FloatTensor t) => t.Data.Sum(v => (double)v);

// When the explained output is computed by a Gemm or MatMul whose weights are all zero, the model without that node,
// its output being the node's data input.
static (OnnxModel Model, bool Headless) WithoutZeroHead(OnnxModel model)
{
    var proto = ModelProto.Parser.ParseFrom(model.ToBytes());
    var graph = proto.Graph;
    var output = graph.Output[0].Name;
    var head = graph.Node.LastOrDefault(n => n.Output.Contains(output));
    var weights = head is { OpType: "Gemm" or "MatMul" } ? graph.Initializer.FirstOrDefault(t => t.Name == head.Input[1]) : null;
    if (head is null || weights is null || TensorProtos.ToDoubles(weights).Any(v => v != 0))
    {
        return (model, false);
    }

    graph.Node.Remove(head);
    graph.Output.Clear();
    graph.Output.Add(new ValueInfoProto { Name = head.Input[0] });
    return (OnnxModel.Load(Google.Protobuf.MessageExtensions.ToByteArray(proto)), true);
}

// Gives each data input of every absorbing node a private Identity copy (placed just before the node).
static (OnnxModel Model, List<Probe> Probes) Instrument(OnnxModel model, HashSet<string> absorbing, bool attentionConstant)
{
    var proto = ModelProto.Parser.ParseFrom(model.ToBytes());
    var graph = proto.Graph;
    var constants = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
    var nodes = graph.Node.ToList();

    // Only nodes on a path from the data input to the explained output carry relevance.
    var fromInput = new HashSet<string>(model.InputNames, StringComparer.Ordinal);
    foreach (var node in nodes.Where(n => n.Input.Any(fromInput.Contains) && n.OpType is not ("Shape" or "Size" or "ArgMax" or "ArgMin" or "NonZero" or "Equal" or "Greater" or "Less")))
    {
        fromInput.UnionWith(node.Output);
    }

    // The Gate rule gives a gate (squeeze-excitation Sigmoid/HardSigmoid, the σ(x) of SiLU, the Φ(x) of GELU) no
    // relevance, and Div none to its denominator: those branches are off the relevance path.
    var facts = LrpGraphFacts.Of(model);
    bool IsGate(NodeProto mul, int i) =>
        facts.IsElementwiseFunctionOf(mul.Input[i], mul.Input[1 - i]) || (facts.ProducerOp(mul.Input[i]) is "Sigmoid" or "HardSigmoid" && facts.ProducerOp(mul.Input[1 - i]) is not ("Sigmoid" or "HardSigmoid"));
    var toOutput = new HashSet<string>([model.OutputNames[0]], StringComparer.Ordinal);
    foreach (var node in Enumerable.Reverse(nodes).Where(n => n.Output.Any(toOutput.Contains)))
    {
        if (node.OpType == "Mul" && node.Input.Count == 2 && node.Input[0] != node.Input[1] && (IsGate(node, 0) || IsGate(node, 1)))
        {
            toOutput.Add(node.Input[IsGate(node, 0) ? 1 : 0]);
        }
        else if (node.OpType == "Div")
        {
            toOutput.Add(node.Input[0]);
        }
        else if (attentionConstant && node.OpType == "MatMul" && !constants.Contains(node.Input[1]) && (facts.IsAttention(node.Input[0]) || facts.IsAttention(node.Input[1])))
        {
            // The AH-rule: attention probabilities are constants of A·V, so the softmax branch gets no relevance.
            toOutput.Add(node.Input[facts.IsAttention(node.Input[0]) ? 1 : 0]);
        }
        else
        {
            toOutput.UnionWith(node.Input);
        }
    }

    var probes = new List<Probe>();
    var rewritten = new List<NodeProto>();
    int counter = 0;
    foreach (var node in nodes)
    {
        if (absorbing.Contains(node.OpType) && node.Domain is "" or "ai.onnx" && toOutput.Contains(node.Output[0]))
        {
            var inputs = new List<string>();
            bool product = node.OpType == "MatMul" && !constants.Contains(node.Input[1]);
            int limit = product ? 2
                : node.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" or "AveragePool" or "GlobalAveragePool" or "ReduceMean" or "ReduceSum" or "LayerNormalization" or "Softmax" ? 1
                : node.Input.Count;
            for (int i = 0; i < limit; i++)
            {
                if (node.Input[i].Length == 0 || constants.Contains(node.Input[i]) || !fromInput.Contains(node.Input[i]) || !toOutput.Contains(node.Input[i]))
                {
                    continue;
                }

                var copy = $"zoo.in.{counter++}";
                rewritten.Add(new NodeProto { OpType = "Identity", Name = copy, Input = { node.Input[i] }, Output = { copy } });
                node.Input[i] = copy;
                inputs.Add(copy);
            }

            if (inputs.Count > 0)
            {
                probes.Add(new Probe(node.Output[0], inputs, node.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul"));
            }
        }

        rewritten.Add(node);
    }

    graph.Node.Clear();
    graph.Node.AddRange(rewritten);
    return (OnnxModel.Load(Google.Protobuf.MessageExtensions.ToByteArray(proto)), probes);
}

internal sealed record Probe(string Output, List<string> Inputs, bool Linear);
