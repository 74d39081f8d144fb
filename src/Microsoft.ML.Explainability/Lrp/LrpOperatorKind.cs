using System.Collections.Immutable;
using Microsoft.ML.Explainability.Lrp.Rules;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>How LRP treats an operator by default; each kind names the rule every composite gives it.</summary>
internal enum LrpOperatorKind
{
    /// <summary>
    /// A linear layer with constant weights (Conv, ConvTranspose, Gemm, MatMul): the composite's convolution, dense or
    /// first-layer rule. A MatMul whose right operand is not a constant is a product of two run-time tensors (attention)
    /// and gets the composite's product rule (<see cref="Composites.LrpComposite.ProductRule"/>).
    /// </summary>
    Linear,

    /// <summary>
    /// An element-wise activation (Relu, Clip/ReLU6, Sigmoid, HardSigmoid, HardSwish, Gelu, Tanh, Erf, LeakyRelu, PRelu, …):
    /// <see cref="LrpRules.Pass"/>, as Zennit's composites map every <c>Activation</c> module to <c>Pass</c>.
    /// </summary>
    Activation,

    /// <summary>
    /// A normalisation left in the graph (a BatchNormalization no canonizer could fold, LayerNormalization,
    /// InstanceNormalization): <see cref="LrpRules.Pass"/>. The normaliser is treated as a constant per-sample affine map
    /// (Ali et al. 2022, "XAI for Transformers", treat LayerNorm's scale so), whose ε-rule relevance is R_in = R_out up to the stabiliser.
    /// </summary>
    Normalisation,

    /// <summary>A sum of tensors (Add, Sum, Sub; residual connections): <see cref="LrpRules.Norm"/> (Zennit's rule for its <c>Sum</c> module).</summary>
    Sum,

    /// <summary>
    /// A mean or sum over a window or axes (AveragePool, GlobalAveragePool, ReduceMean, ReduceSum): <see cref="LrpRules.Norm"/>,
    /// Zennit's rule for average pooling; ReduceMean over [2, 3] is how <c>x.mean([2, 3])</c> exports.
    /// </summary>
    MeanPooling,

    /// <summary>
    /// A product of two tensors (Mul): <see cref="LrpRules.Gate"/> (the gate of a gated activation or squeeze-excitation
    /// block is a constant; a Mul by a constant passes relevance).
    /// </summary>
    Product,

    /// <summary>
    /// A scaling (Neg, Div): <see cref="LrpRules.Pass"/> (for y = a·x the ε-rule gives R_in = R_out); a Div passes relevance
    /// to its numerator, treating a data-dependent denominator (a LayerNorm's standard deviation written out) as a constant.
    /// </summary>
    Scaling,

    /// <summary>
    /// An operator that moves values without arithmetic, or takes a convex combination of them (Flatten, Reshape,
    /// Transpose, Concat, Split, Slice, Gather, Pad, Squeeze, Unsqueeze, Identity, Dropout, Expand, Tile, DepthToSpace,
    /// SpaceToDepth, Cast, Resize, Where):
    /// <see cref="LrpRules.Gradient"/>; relevance moves with its value (Zennit hooks no rule on these, so autograd's gradient moves it).
    /// </summary>
    Movement,

    /// <summary>A winner-take-all selection (MaxPool, GlobalMaxPool, ReduceMax, ReduceMin, Max, Min): <see cref="LrpRules.Gradient"/>, relevance to the winner.</summary>
    WinnerTakeAll,

    /// <summary>
    /// No default (Softmax, LogSoftmax, Exp, Log, Pow, Sqrt, Reciprocal, Abs, norms and log-sums over axes): relevance through these
    /// is not defined by the CNN composites (a classifier's final Softmax is refused so that the logits are explained);
    /// the transformer composites give Softmax <see cref="LrpRules.Softmax"/>; a node of this kind on the relevance path is refused with an
    /// <see cref="LrpRuleException"/> naming node, operator and composite, unless it is given a rule.
    /// </summary>
    NoDefault,
}
