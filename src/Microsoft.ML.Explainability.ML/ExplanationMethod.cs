namespace Microsoft.ML.Explainability.ML;

/// <summary>Every explanation method an <see cref="ExplainEstimator"/> can run.</summary>
public enum ExplanationMethod
{
    /// <summary>Grad-CAM (<see cref="Attribution.CamMethod.GradCam"/>): a map at the input's height and width.</summary>
    GradCam,

    /// <summary>HiResCAM (<see cref="Attribution.CamMethod.HiResCam"/>).</summary>
    HiResCam,

    /// <summary>Element-wise Grad-CAM (<see cref="Attribution.CamMethod.GradCamElementWise"/>).</summary>
    GradCamElementWise,

    /// <summary>XGrad-CAM (<see cref="Attribution.CamMethod.XGradCam"/>).</summary>
    XGradCam,

    /// <summary>Grad-CAM++ (<see cref="Attribution.CamMethod.GradCamPlusPlus"/>).</summary>
    GradCamPlusPlus,

    /// <summary>LayerCAM (<see cref="Attribution.CamMethod.LayerCam"/>).</summary>
    LayerCam,

    /// <summary>Eigen-CAM (<see cref="Attribution.CamMethod.EigenCam"/>), class-independent.</summary>
    EigenCam,

    /// <summary>Eigen-Grad-CAM (<see cref="Attribution.CamMethod.EigenGradCam"/>).</summary>
    EigenGradCam,

    /// <summary>Score-CAM (<see cref="Attribution.CamMethod.ScoreCam"/>): C forward passes per image.</summary>
    ScoreCam,

    /// <summary>Ablation-CAM (<see cref="Attribution.CamMethod.AblationCam"/>): C forward passes per image.</summary>
    AblationCam,

    /// <summary>Guided Grad-CAM (<see cref="Attribution.GuidedGradCam"/>): Guided Backprop ⊙ Grad-CAM, an input attribution.</summary>
    GuidedGradCam,

    /// <summary>Saliency (<see cref="Attribution.GradientMethod.Saliency"/>).</summary>
    Saliency,

    /// <summary>Input × gradient (<see cref="Attribution.GradientMethod.InputXGradient"/>).</summary>
    InputXGradient,

    /// <summary>SmoothGrad (<see cref="Attribution.GradientMethod.SmoothGrad"/>).</summary>
    SmoothGrad,

    /// <summary>SmoothGrad² (<see cref="Attribution.GradientMethod.SmoothGradSquared"/>).</summary>
    SmoothGradSquared,

    /// <summary>VarGrad (<see cref="Attribution.GradientMethod.VarGrad"/>).</summary>
    VarGrad,

    /// <summary>Guided Backpropagation (<see cref="Attribution.GradientMethod.GuidedBackprop"/>).</summary>
    GuidedBackprop,

    /// <summary>Deconvnet (<see cref="Attribution.GradientMethod.Deconvnet"/>).</summary>
    Deconvnet,

    /// <summary>Integrated gradients (<see cref="Attribution.IntegratedGradients"/>).</summary>
    IntegratedGradients,

    /// <summary>Layer-wise Relevance Propagation (<see cref="Lrp.LrpExplainer"/>).</summary>
    Lrp,
}

/// <summary>How an input attribution [C, H, W] becomes the [H, W] saliency map.</summary>
public enum ChannelReduction
{
    /// <summary>Σ over channels (keeps LRP's and integrated gradients' conservation: the map sums to the row's total).</summary>
    Sum,

    /// <summary>max over channels of |value| (Simonyan et al.'s saliency map).</summary>
    MaxAbsolute,

    /// <summary>No reduction: the saliency column holds [C, H, W].</summary>
    None,
}

/// <summary>The LRP composites an <see cref="LrpEstimator"/> can use (see <see cref="Lrp.LrpComposite"/>).</summary>
public enum LrpCompositeKind
{
    /// <summary>Convolutions z⁺, dense layers ε (<see cref="Lrp.LrpComposite.EpsilonPlus"/>).</summary>
    EpsilonPlus,

    /// <summary>Convolutions α2β1, dense layers ε (<see cref="Lrp.LrpComposite.EpsilonAlpha2Beta1"/>).</summary>
    EpsilonAlpha2Beta1,

    /// <summary>As <see cref="EpsilonPlus"/> with the flat rule on the first layer (<see cref="Lrp.LrpComposite.EpsilonPlusFlat"/>).</summary>
    EpsilonPlusFlat,

    /// <summary>ε everywhere (<see cref="Lrp.LrpComposite.Epsilon"/>).</summary>
    Epsilon,
}
