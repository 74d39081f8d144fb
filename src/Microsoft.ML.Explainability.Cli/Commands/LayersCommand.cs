using System.CommandLine;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.Cli.Commands;

/// <summary><c>layers --model M.onnx [--layout nchw|nhwc|tokens]</c>: inputs, outputs, every tensor with its shape, the CAM target-layer candidates with the layout inferred for each and why (the automatic choice marked; <c>--layout</c> reads every candidate of that rank with the given layout) and, for transformers, the attention tensors.</summary>
internal static class LayersCommand
{
    public static Command Create(TextWriter output)
    {
        var options = new CommonOptions();
        var command = new Command("layers", "List a model's inputs, outputs, every tensor with its shape, the candidate CAM target layers with their inferred layout (* marks the automatic choice) and attention tensors.");
        command.Options.Add(options.Model);
        command.Options.Add(options.Layout);
        command.SetAction(result =>
        {
            var model = ModelFile.Load(CommonOptions.Required(result, options.Model, "the path of an .onnx file"));
            Run(model, output, options.ParseLayout(result));
            return ExitCodes.Success;
        });
        return command;
    }

    public static void Run(ModelFile file, TextWriter output, LayerLayout? layout = null)
    {
        var prepared = GradientModel.Prepare(file.Model);
        var shapes = ShapeProbe.Run(prepared);
        output.WriteLine($"model: {file.Path} (opset {file.Model.Opset}, producer '{file.Model.ProducerName}')");
        output.WriteLine();
        output.WriteLine("inputs:");
        foreach (var name in prepared.InputNames)
        {
            output.WriteLine($"  {name} {shapes[name].ShapeText} {shapes[name].ElementType}");
        }

        output.WriteLine("outputs:");
        foreach (var name in prepared.OutputNames.Where(shapes.Contains))
        {
            output.WriteLine($"  {name} {shapes[name].ShapeText} {shapes[name].ElementType}");
        }

        output.WriteLine();
        output.WriteLine("tensors (node outputs, in graph order):");
        foreach (var tensor in shapes.Tensors.Where(t => t.Kind == TensorKind.NodeOutput).OrderBy(t => t.ProducerNodeIndex))
        {
            output.WriteLine($"  {tensor.Name} {tensor.ShapeText} {tensor.ElementType} <- {tensor.Producer}");
        }

        output.WriteLine();
        TargetLayer? automatic = null;
        string? why = null;
        try
        {
            automatic = TargetLayers.Automatic(file.Model, null, layout);
        }
        catch (ExplainabilityException e)
        {
            why = e.Message;
        }

        var candidates = TargetLayers.List(file.Model, layout);
        output.WriteLine(layout is null
            ? "CAM target layers (* = automatic choice; layout nchw/nhwc/tokens and the evidence for it):"
            : $"CAM target layers (* = automatic choice; read as {LayoutNames.Of(layout.Value)} where the rank allows):");
        foreach (var layer in candidates)
        {
            output.WriteLine($"  {(layer.Name == automatic?.Name ? "*" : " ")} {layer}");
        }

        if (candidates.Count == 0)
        {
            output.WriteLine("  none");
        }

        if (automatic is null)
        {
            output.WriteLine($"  no automatic choice: {why}");
        }

        output.WriteLine();
        try
        {
            var attention = AttentionDiscovery.Discover(file.Model);
            output.WriteLine("attention (transformer):");
            output.Write(string.Join(Environment.NewLine, attention.Describe().TrimEnd().Split('\n').Select(l => "  " + l.TrimEnd('\r'))));
            output.WriteLine();
        }
        catch (AttentionDiscoveryException)
        {
            output.WriteLine("attention (transformer): none found (not a vision transformer)");
        }
    }
}
