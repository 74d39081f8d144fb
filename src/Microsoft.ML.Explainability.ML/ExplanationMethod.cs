using Microsoft.ML.Explainability.Cam;

namespace Microsoft.ML.Explainability.ML;

/// <summary>Every explanation method an <see cref="ExplainEstimator"/> can run.</summary>
public enum ExplanationMethod
{
    /// <summary>Grad-CAM (<see cref="Explainability.ExplanationMethods.GradCam"/>): a map at the input's height and width.</summary>
    GradCam,

    /// <summary>HiResCAM (<see cref="Explainability.ExplanationMethods.HiResCam"/>).</summary>
    HiResCam,

    /// <summary>Element-wise Grad-CAM (<see cref="Explainability.ExplanationMethods.GradCamElementWise"/>).</summary>
    GradCamElementWise,

    /// <summary>XGrad-CAM (<see cref="Explainability.ExplanationMethods.XGradCam"/>).</summary>
    XGradCam,

    /// <summary>Grad-CAM++ (<see cref="Explainability.ExplanationMethods.GradCamPlusPlus"/>).</summary>
    GradCamPlusPlus,

    /// <summary>LayerCAM (<see cref="Explainability.ExplanationMethods.LayerCam"/>).</summary>
    LayerCam,

    /// <summary>Eigen-CAM (<see cref="Explainability.ExplanationMethods.EigenCam"/>), class-independent.</summary>
    EigenCam,

    /// <summary>Eigen-Grad-CAM (<see cref="Explainability.ExplanationMethods.EigenGradCam"/>).</summary>
    EigenGradCam,

    /// <summary>Score-CAM (<see cref="Explainability.ExplanationMethods.ScoreCam"/>): C forward passes per image.</summary>
    ScoreCam,

    /// <summary>Ablation-CAM (<see cref="Explainability.ExplanationMethods.AblationCam"/>): C forward passes per image.</summary>
    AblationCam,

    /// <summary>Guided Grad-CAM (<see cref="Cam.GuidedGradCam"/>): Guided Backprop ⊙ Grad-CAM, an input attribution.</summary>
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
