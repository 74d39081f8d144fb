namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// The class activation map methods. Each computes a map Σₖ wₖ·Aₖ (or an element-wise variant) at a target layer with
/// activations A (channels k, grid cells ij) and gradients G = ∂y/∂A of the target score y, following
/// pytorch-grad-cam's implementation of each (its <c>get_cam_weights</c> / <c>get_cam_image</c>).
/// </summary>
public enum CamMethod
{
    /// <summary>Grad-CAM (Selvaraju et al., ICCV 2017): wₖ = mean_ij Gᵏᵢⱼ; map = Σₖ wₖ Aᵏ.</summary>
    GradCam,

    /// <summary>HiResCAM (Draelos &amp; Carin, 2020): map = Σₖ Gᵏ ⊙ Aᵏ (element-wise, no spatial averaging).</summary>
    HiResCam,

    /// <summary>Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise): map = Σₖ ReLU(Gᵏ ⊙ Aᵏ).</summary>
    GradCamElementWise,

    /// <summary>XGrad-CAM (Fu et al., BMVC 2020): wₖ = Σᵢⱼ Aᵏᵢⱼ·Gᵏᵢⱼ / (Σᵢⱼ Aᵏᵢⱼ + 1e-7); map = Σₖ wₖ Aᵏ.</summary>
    XGradCam,

    /// <summary>
    /// Grad-CAM++ (Chattopadhay et al., WACV 2018), pytorch-grad-cam's closed form:
    /// αᵏᵢⱼ = G² / (2G² + (Σᵢⱼ Aᵏ)·G³ + 1e-6), with α = 0 where G = 0; wₖ = Σᵢⱼ ReLU(Gᵏᵢⱼ)·αᵏᵢⱼ; map = Σₖ wₖ Aᵏ.
    /// </summary>
    GradCamPlusPlus,

    /// <summary>LayerCAM (Jiang et al., IEEE TIP 2021): map = Σₖ ReLU(Gᵏ) ⊙ Aᵏ.</summary>
    LayerCam,

    /// <summary>
    /// Eigen-CAM (Muhammad &amp; Yeasin, IJCNN 2020): A as an (h·w)×k matrix, columns centred, projected on its first right
    /// singular vector v₁: map = (A − mean)·v₁. Class-independent (no gradients). The SVD leaves the sign of v₁ free;
    /// it is fixed so that the uncentred activations project to a positive sum (mean row · v₁ ≥ 0), which makes the map
    /// highlight where the activations are large.
    /// </summary>
    EigenCam,

    /// <summary>Eigen-Grad-CAM (pytorch-grad-cam): Eigen-CAM's projection applied to G ⊙ A (class-dependent).</summary>
    EigenGradCam,

    /// <summary>
    /// Score-CAM (Wang et al., CVPR-W 2020): each channel Aᵏ is upsampled to the input size (bilinear, aligned corners),
    /// min-max normalised to a mask Mᵏ = (Aᵏ − min)/(max − min + 1e-8), the input is multiplied by it, and
    /// wₖ = softmaxₖ(y(x ⊙ Mᵏ)) over channels of the target scores; map = Σₖ wₖ Aᵏ. C forward passes per image, batched.
    /// </summary>
    ScoreCam,

    /// <summary>
    /// Ablation-CAM (Desai &amp; Ramaswamy, WACV 2020): wₖ = (y − yₖ)/y, where yₖ is the target score with channel k of the
    /// layer set to 0 — or, as pytorch-grad-cam does when the layer's minimum is not 0, to min − 1e7; map = Σₖ wₖ Aᵏ.
    /// C forward passes per image, batched.
    /// </summary>
    AblationCam,
}
