namespace Microsoft.ML.Explainability.Autodiff;

/// <summary>
/// The backward rule of one operator: given the gradients of a forward node's outputs
/// (<see cref="GradientContext.OutputGradient"/>), emit standard ONNX nodes computing the gradients of the inputs
/// that need one (<see cref="GradientContext.NeedsInputGradient"/>) and report them with
/// <see cref="GradientContext.SetInputGradient"/>. A rule may also compute a modified quantity in place of the true
/// gradient (Guided Backprop, Deconvnet, LRP rules): the builder only routes and sums what the rules produce.
/// </summary>
/// <param name="context">The forward node, its tensors' shapes, the output gradients and a graph emitter.</param>
public delegate void GradientRule(GradientContext context);
