using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability;

/// <summary>
/// Every explanation method, declared once. The command line (<c>onnx-xai methods</c>, <c>explain</c>,
/// <c>evaluate</c>, <c>ablate</c>, <c>compile</c>), the ML.NET <c>Explain</c> estimator, the evaluation harness and the
/// explanation compiler enumerate <see cref="All"/>. A CAM method is one <see cref="CamWeighting"/> file plus one
/// line here; each line's XML docs give the formula and the paper (a test checks that they do).
/// </summary>
public static class ExplanationMethods
{
    private const string NeedsForwardPerChannel = "it needs one forward pass of the model per channel of the target layer";

    /// <summary>Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization", ICCV 2017): wₖ = mean_ij Gᵏᵢⱼ; map = Σₖ wₖ Aᵏ.</summary>
    public static readonly ExplanationMethod GradCam = Weighting("grad-cam", "Grad-CAM", "Selvaraju et al., Grad-CAM, ICCV 2017", "channel weights = spatial mean of the gradient", () => new GradCamWeighting());

    /// <summary>HiResCAM (Draelos &amp; Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations", 2020): map = Σₖ Gᵏ ⊙ Aᵏ.</summary>
    public static readonly ExplanationMethod HiResCam = Weighting("hires-cam", "HiResCAM", "Draelos & Carin, HiResCAM, arXiv 2020", "sum over channels of G * A", () => new HiResCamWeighting());

    /// <summary>Grad-CAM++ (Chattopadhay et al., "Grad-CAM++", WACV 2018), pytorch-grad-cam's closed form: αᵏᵢⱼ = G² / (2G² + (Σᵢⱼ Aᵏ)·G³ + 1e-6), α = 0 where G = 0; wₖ = Σᵢⱼ ReLU(Gᵏᵢⱼ)·αᵏᵢⱼ; map = Σₖ wₖ Aᵏ.</summary>
    public static readonly ExplanationMethod GradCamPlusPlus = Weighting("grad-cam-plus-plus", "Grad-CAM++", "Chattopadhay et al., Grad-CAM++, WACV 2018", "pytorch-grad-cam's closed-form Grad-CAM++", () => new GradCamPlusPlusWeighting());

    /// <summary>XGrad-CAM (Fu et al., "Axiom-based Grad-CAM", BMVC 2020): wₖ = Σᵢⱼ Aᵏᵢⱼ·Gᵏᵢⱼ / (Σᵢⱼ Aᵏᵢⱼ + 1e-7); map = Σₖ wₖ Aᵏ.</summary>
    public static readonly ExplanationMethod XGradCam = Weighting("xgrad-cam", "XGrad-CAM", "Fu et al., Axiom-based Grad-CAM, BMVC 2020", "activation-normalised gradient weights", () => new XGradCamWeighting());

    /// <summary>LayerCAM (Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for Localization", IEEE TIP 2021): map = Σₖ ReLU(Gᵏ) ⊙ Aᵏ.</summary>
    public static readonly ExplanationMethod LayerCam = Weighting("layer-cam", "LayerCAM", "Jiang et al., LayerCAM, IEEE TIP 2021", "sum over channels of ReLU(G) * A", () => new LayerCamWeighting());

    /// <summary>Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise, after Selvaraju et al. 2017): map = Σₖ ReLU(Gᵏ ⊙ Aᵏ).</summary>
    public static readonly ExplanationMethod GradCamElementWise = Weighting("grad-cam-element-wise", "Grad-CAM element-wise", "pytorch-grad-cam GradCAMElementWise, after Selvaraju et al., ICCV 2017", "sum over channels of ReLU(G * A)", () => new GradCamElementWiseWeighting());

    /// <summary>
    /// Eigen-CAM (Muhammad &amp; Yeasin, "Eigen-CAM: Class Activation Map using Principal Components", IJCNN 2020): A as an
    /// (h·w)×k matrix, columns centred, projected on its first right singular vector v₁; class-independent. The SVD
    /// leaves the sign of v₁ free (pytorch-grad-cam's is whatever LAPACK returns, so its maps can come out inverted): ours
    /// is fixed by one rule shared with Eigen-Grad-CAM and KPCA-CAM — the projection's largest-magnitude value is positive
    /// (Seg-Eigen-CAM's Eq. 13).
    /// </summary>
    public static readonly ExplanationMethod EigenCam = Weighting("eigen-cam", "Eigen-CAM", "Muhammad & Yeasin, Eigen-CAM, IJCNN 2020", "first principal component of the activations (class-independent)", () => new EigenCamWeighting(onGradientTimesActivation: false), null, MethodNeeds.None);

    /// <summary>Eigen-Grad-CAM (pytorch-grad-cam, after Muhammad &amp; Yeasin, IJCNN 2020): Eigen-CAM's projection applied to G ⊙ A (class-dependent), with Eigen-CAM's sign rule.</summary>
    public static readonly ExplanationMethod EigenGradCam = Weighting("eigen-grad-cam", "Eigen-Grad-CAM", "pytorch-grad-cam EigenGradCAM, after Muhammad & Yeasin, IJCNN 2020", "first principal component of G * A", () => new EigenCamWeighting(onGradientTimesActivation: true));

    /// <summary>
    /// Score-CAM (Wang et al., "Score-CAM: Score-Weighted Visual Explanations for CNNs", CVPR-W 2020): each channel Aᵏ
    /// upsampled to the input (bilinear, aligned corners), min-max normalised to Mᵏ, the input multiplied by it;
    /// wₖ = softmaxₖ of the target scores; map = Σₖ wₖ Aᵏ. C forward passes per image, batched.
    /// </summary>
    public static readonly ExplanationMethod ScoreCam = Weighting("score-cam", "Score-CAM", "Wang et al., Score-CAM, CVPR Workshops 2020", "channel weights from masked forward passes", () => new ScoreCamWeighting(), NeedsForwardPerChannel, MethodNeeds.ForwardPasses);

    /// <summary>
    /// Ablation-CAM (Desai &amp; Ramaswamy, "Ablation-CAM", WACV 2020): wₖ = (y − yₖ)/y with yₖ the score when channel k is
    /// filled by <see cref="CamOptions.AblationFill"/>: by default as pytorch-grad-cam (0 when the layer's minimum is 0, else
    /// min − 1e7), or always 0 as in the paper; map = Σₖ wₖ Aᵏ.
    /// </summary>
    public static readonly ExplanationMethod AblationCam = Weighting("ablation-cam", "Ablation-CAM", "Desai & Ramaswamy, Ablation-CAM, WACV 2020", "channel weights from ablated forward passes", () => new AblationCamWeighting(), NeedsForwardPerChannel, MethodNeeds.ForwardPasses);

    /// <summary>Random-CAM (pytorch-grad-cam's RandomCAM; a sanity-check baseline after Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018): wₖ ~ U[−1, 1); map = Σₖ wₖ Aᵏ.</summary>
    public static readonly ExplanationMethod RandomCam = Weighting("random-cam", "Random-CAM", "Adebayo et al., Sanity Checks for Saliency Maps, NeurIPS 2018", "random channel weights (a baseline)", () => new RandomCamWeighting(), "its weights are random numbers drawn in C#", MethodNeeds.None);

    /// <summary>
    /// KPCA-CAM (Karmani et al., "KPCA-CAM: Visual Explainability of Deep Computer Vision Models using Kernel PCA", IEEE MMSP
    /// 2024), pytorch-grad-cam's defaults: the centred activations X [(h·w), C] projected on the first kernel principal
    /// component of the sigmoid kernel tanh(γ·xᵢ·xⱼ + 1), γ = 1/C: map = √λ₁·u₁ of the centred kernel matrix, with
    /// Eigen-CAM's sign rule (largest-magnitude value positive, as scikit-learn's); class-independent.
    /// </summary>
    public static readonly ExplanationMethod KpcaCam = Weighting("kpca-cam", "KPCA-CAM", "Karmani et al., KPCA-CAM, IEEE MMSP 2024", "first kernel principal component (sigmoid kernel) of the activations (class-independent)", () => new KernelPcaCamWeighting(), "it needs an eigendecomposition of a kernel matrix, which has no standard ONNX operator", MethodNeeds.None);

    /// <summary>
    /// FEM (Fuad et al., "Features understanding in 3D CNNs for actions recognition in video", IPTA 2020), as pytorch-grad-cam:
    /// wₖ = mean_ij [Aᵏᵢⱼ &gt; μₖ + 2σₖ] (a k-sigma binary mask, k = 2, spatial mean and population σ); map = Σₖ wₖ Aᵏ; class-independent.
    /// </summary>
    public static readonly ExplanationMethod Fem = Weighting("fem", "FEM", "Fuad et al., Features understanding in 3D CNNs, IPTA 2020", "channel weights = share of cells above mean + 2 std (class-independent)", () => new FemWeighting(k: 2), null, MethodNeeds.None);

    /// <summary>
    /// Finer-CAM (Zhang et al., "Finer-CAM: Spotting the Difference Reveals Finer Details for Visual Explanation", CVPR 2025),
    /// pytorch-grad-cam's defaults: Grad-CAM of the score s = Σⱼ pⱼ(y_c − α yⱼ)/(Σⱼ pⱼ + 1e-9), p = softmax(y), α = 1, over
    /// the 3 classes j whose logits are closest to the target's: Grad-CAM of the <see cref="Targets.ExplanationTargets.Finer"/> target.
    /// </summary>
    public static readonly ExplanationMethod FinerCam = Weighting("finer-cam", "Finer-CAM", "Zhang et al., Finer-CAM, CVPR 2025", "Grad-CAM of the target logit minus its most similar classes' logits", () => new FinerCamWeighting(alpha: 1, comparisons: 3), "its class −1 is the top logit's class, while the compiled graph's one-hot seed takes the arg-max of the explained score", MethodNeeds.Gradients | MethodNeeds.ForwardPasses);

    /// <summary>
    /// SS-CAM (Wang et al., "SS-CAM: Smoothed Score-CAM for Sharper Visual Feature Localization", arXiv 2020), torch-cam's
    /// defaults: wₖ = softmaxₖ((1/35)·Σₛ (y((Mᵏ + 𝒩(0, 2²)) ⊙ x) − y(x))), Mᵏ the min-max normalised channel upsampled
    /// bilinearly (half-pixel); map = Σₖ wₖ Aᵏ.
    /// </summary>
    public static readonly ExplanationMethod SsCam = Weighting("ss-cam", "SS-CAM", "Wang et al., SS-CAM: Smoothed Score-CAM, arXiv 2020", "Score-CAM weights averaged over noisy masks", () => new SsCamWeighting(), NeedsForwardPerChannel, MethodNeeds.ForwardPasses);

    /// <summary>
    /// IS-CAM (Naidu et al., "IS-CAM: Integrated Score-CAM for axiomatic-based explanations", arXiv 2020), torch-cam's
    /// defaults: wₖ = softmaxₖ((1/10)·Σₛ (y(cₛ·Mᵏ ⊙ x) − y(x))), cₛ = Σᵢ₌₁ˢ i/10, s = 1 … 10; map = Σₖ wₖ Aᵏ.
    /// </summary>
    public static readonly ExplanationMethod IsCam = Weighting("is-cam", "IS-CAM", "Naidu et al., IS-CAM: Integrated Score-CAM, arXiv 2020", "Score-CAM weights integrated over scaled masks", () => new IsCamWeighting(), NeedsForwardPerChannel, MethodNeeds.ForwardPasses);

    /// <summary>
    /// Smooth Grad-CAM++ (Omeiza et al., "Smooth Grad-CAM++: An Enhanced Inference Level Visualization Technique for Deep
    /// Convolutional Neural Network Models", arXiv 2019), torch-cam's defaults (4 samples, σ = 0.3): D₂, D₃ the means of
    /// G², G³ over noisy inputs; α = D₂/(2D₂ + Σᵢⱼ D₃·A + 1e-8); wₖ = Σᵢⱼ α·ReLU(G); map = Σₖ wₖ Aᵏ.
    /// </summary>
    public static readonly ExplanationMethod SmoothGradCamPlusPlus = Weighting("smooth-grad-cam-plus-plus", "Smooth Grad-CAM++", "Omeiza et al., Smooth Grad-CAM++, arXiv 2019", "Grad-CAM++ with gradient powers averaged over noisy inputs", () => new SmoothGradCamPlusPlusWeighting(), "it needs gradient passes at several noisy inputs");

    /// <summary>
    /// Shapley-CAM (Cai et al., "CAMs as Shapley Value-based Explainers", 2025, arXiv:2501.06261; pytorch-grad-cam's
    /// ShapleyCAM): wₖ = mean_ij (G − ½·H·A)ᵏᵢⱼ with H·A the Hessian of the target score at the layer applied to A;
    /// map = Σₖ wₖ Aᵏ. Equals Grad-CAM when the layer reaches the score through piecewise-linear ops only.
    /// </summary>
    public static readonly ExplanationMethod ShapleyCam = Weighting("shapley-cam", "Shapley-CAM", "Cai et al., CAMs as Shapley Value-based Explainers, arXiv 2025", "weights = mean of (G - H*A/2), H*A by reverse over reverse", () => new ShapleyCamWeighting(), null, MethodNeeds.Gradients | MethodNeeds.SecondOrder);

    /// <summary>
    /// Seg-Eigen-CAM (Chung &amp; Ying, "Seg-Eigen-CAM: Eigen-Value-Based Visual Explanations for Semantic Segmentation
    /// Models", Applied Sciences 15(13), 7562, 2025; pytorch-grad-cam's SegEigenCAM): W = |G| ⊙ A as an (h·w)×C matrix,
    /// columns centred, projected on its first right singular vector, flipped when |min| &gt; |max| (Eq. 13).
    /// </summary>
    public static readonly ExplanationMethod SegEigenCam = Weighting("seg-eigen-cam", "Seg-Eigen-CAM", "Chung & Ying, Seg-Eigen-CAM, Applied Sciences 2025", "sign-corrected first principal component of |G| * A", () => new SegEigenCamWeighting());

    /// <summary>
    /// RefineCAM (Domeniconi, Stramiglio, Lombardi &amp; Salti, "How to Evaluate and Refine your CAM", arXiv:2605.14641,
    /// 2026; pytorch-grad-cam's RefineCAM with its default base, Grad-CAM++): the product over the target layers
    /// (<see cref="CamOptions.TargetLayers"/>) of each layer's normalised Grad-CAM++ map at the input's resolution, min-max normalised.
    /// </summary>
    public static readonly ExplanationMethod RefineCam = Weighting("refine-cam", "RefineCAM", "Domeniconi et al., How to Evaluate and Refine your CAM, arXiv 2026", "product over target layers of Grad-CAM++ maps", () => new RefineCamWeighting());

    /// <summary>FullGrad (Srinivas &amp; Fleuret, "Full-Gradient Representation for Neural Network Visualization", NeurIPS 2019): |x ⊙ ∂y/∂x| plus every layer's |b ⊙ ∂y/∂b| maps, each normalised and resized, summed.</summary>
    public static readonly ExplanationMethod FullGrad = new("full-grad", "FullGrad", MethodFamily.Gradient, ExplanationLayout.Map, typeof(FullGradOptions), MethodNeeds.Gradients, "Srinivas & Fleuret, Full-Gradient Representation, NeurIPS 2019", "input-gradient and bias-gradient maps", null,
        (m, model, s) => new Attribution.FullGrad(model, new FullGradOptions { Output = s.Output, ExplainedInput = s.ExplainedInput, Execution = s.Execution }));

    /// <summary>Saliency (Simonyan, Vedaldi &amp; Zisserman, "Deep Inside Convolutional Networks", ICLR-W 2014): |∂y/∂x| per input element.</summary>
    public static readonly ExplanationMethod Saliency = InputGradient("saliency", "Saliency", "Simonyan et al., Deep Inside Convolutional Networks, ICLR Workshop 2014", "|dy/dx| per input element", GradientMethod.Saliency, absolute: true, null);

    /// <summary>The signed gradient ∂y/∂x (Simonyan, Vedaldi &amp; Zisserman, ICLR-W 2014, without the absolute value).</summary>
    public static readonly ExplanationMethod SignedGradient = InputGradient("gradient", "Gradient", "Simonyan et al., Deep Inside Convolutional Networks, ICLR Workshop 2014", "the signed gradient dy/dx", GradientMethod.Saliency, absolute: false, null);

    /// <summary>Input × gradient (Shrikumar et al., "Not Just a Black Box", 2016): x ⊙ ∂y/∂x.</summary>
    public static readonly ExplanationMethod InputXGradient = InputGradient("input-x-gradient", "Input x gradient", "Shrikumar et al., Not Just a Black Box, arXiv 2016", "x * dy/dx", GradientMethod.InputXGradient, absolute: true, null);

    /// <summary>SmoothGrad (Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017): the mean gradient over noisy copies x + 𝒩(0, σ²), σ = noise level × (max − min) of the row.</summary>
    public static readonly ExplanationMethod SmoothGrad = InputGradient("smooth-grad", "SmoothGrad", "Smilkov et al., SmoothGrad, ICML Workshop 2017", "mean gradient over noisy copies", GradientMethod.SmoothGrad, absolute: true, null);

    /// <summary>SmoothGrad² (Hooker et al., "A Benchmark for Interpretability Methods in Deep Neural Networks", NeurIPS 2019): the mean squared gradient over noisy copies.</summary>
    public static readonly ExplanationMethod SmoothGradSquared = InputGradient("smooth-grad-squared", "SmoothGrad²", "Hooker et al., ROAR, NeurIPS 2019", "mean squared gradient over noisy copies", GradientMethod.SmoothGradSquared, absolute: false, null);

    /// <summary>VarGrad (Adebayo et al., "Local Explanation Methods for Deep Neural Networks Lack Sensitivity to Parameter Values", ICLR-W 2018): the variance of the gradient over noisy copies.</summary>
    public static readonly ExplanationMethod VarGrad = InputGradient("var-grad", "VarGrad", "Adebayo et al., ICLR Workshop 2018", "variance of the gradient over noisy copies", GradientMethod.VarGrad, absolute: false, null);

    /// <summary>Guided Backpropagation (Springenberg et al., "Striving for Simplicity: The All Convolutional Net", ICLR-W 2015): ReLU passes back only positive gradients where its input was positive.</summary>
    public static readonly ExplanationMethod GuidedBackprop = InputGradient("guided-backprop", "Guided Backpropagation", "Springenberg et al., Striving for Simplicity, ICLR Workshop 2015", "ReLU backward keeps positive gradients at positive inputs", GradientMethod.GuidedBackprop, absolute: true, null);

    /// <summary>Deconvnet (Zeiler &amp; Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014): ReLU backward applies ReLU to the gradient.</summary>
    public static readonly ExplanationMethod Deconvnet = InputGradient("deconvnet", "Deconvnet", "Zeiler & Fergus, Visualizing and Understanding Convolutional Networks, ECCV 2014", "ReLU backward is ReLU of the gradient", GradientMethod.Deconvnet, absolute: true, null);

    /// <summary>Integrated gradients (Sundararajan, Taly &amp; Yan, "Axiomatic Attribution for Deep Networks", ICML 2017): (x − x′) ⊙ ∫₀¹ ∂y/∂x(x′ + α(x − x′)) dα by quadrature.</summary>
    public static readonly ExplanationMethod IntegratedGradients = new("integrated-gradients", "Integrated gradients", MethodFamily.Gradient, ExplanationLayout.InputAttribution, typeof(IntegratedGradientsOptions), MethodNeeds.Gradients, "Sundararajan et al., Axiomatic Attribution for Deep Networks, ICML 2017", "path integral of gradients from a baseline", null,
        (m, model, s) =>
        {
            var d = new IntegratedGradientsOptions();
            return new Attribution.IntegratedGradients(model, new IntegratedGradientsOptions { Steps = s.Steps ?? d.Steps, MaxSteps = Math.Max(s.Steps ?? d.Steps, d.MaxSteps), Baseline = s.Baseline, Output = s.Output, ExplainedInput = s.ExplainedInput, Execution = s.Execution });
        }, conservesScore: true);

    /// <summary>Guided Grad-CAM (Selvaraju et al., ICCV 2017): Guided Backpropagation ⊙ the Grad-CAM map upsampled to the input.</summary>
    public static readonly ExplanationMethod GuidedGradCam = new("guided-grad-cam", "Guided Grad-CAM", MethodFamily.ModifiedRelu, ExplanationLayout.InputAttribution, typeof(CamOptions), MethodNeeds.Gradients | MethodNeeds.TargetLayer, "Selvaraju et al., Grad-CAM, ICCV 2017", "Guided Backprop * Grad-CAM", null,
        (m, model, s) => new Cam.GuidedGradCam(model, new CamOptions { TargetLayer = SingleTargetLayer(s, m), Layout = s.Layout, Output = s.Output, ExplainedInput = s.ExplainedInput, Execution = s.Execution, GuidedGradCamConvention = s.GuidedGradCamConvention ?? new CamOptions().GuidedGradCamConvention }));

    /// <summary>Occlusion (Zeiler &amp; Fergus, ECCV 2014): the score drop when a sliding window is replaced by a baseline, averaged over the windows covering each element.</summary>
    public static readonly ExplanationMethod Occlusion = new("occlusion", "Occlusion", MethodFamily.Perturbation, ExplanationLayout.InputAttribution, typeof(OcclusionOptions), MethodNeeds.ForwardPasses, "Zeiler & Fergus, Visualizing and Understanding Convolutional Networks, ECCV 2014", "score drop under sliding occluding windows", "it needs one forward pass per window position",
        (m, model, s) =>
        {
            var d = new OcclusionOptions();
            return new Attribution.Occlusion(model, new OcclusionOptions { WindowHeight = s.Window?.Height ?? d.WindowHeight, WindowWidth = s.Window?.Width ?? d.WindowWidth, StrideY = s.Stride?.Y ?? d.StrideY, StrideX = s.Stride?.X ?? d.StrideX, BaselineValue = s.BaselineValue ?? d.BaselineValue, Baseline = s.Baseline, Output = s.Output, ExplainedInput = s.ExplainedInput, Execution = s.Execution });
        });

    /// <summary>RISE (Petsiuk, Das &amp; Saenko, "RISE: Randomized Input Sampling for Explanation of Black-box Models", BMVC 2018): the mean of random upsampled masks weighted by the masked inputs' scores.</summary>
    public static readonly ExplanationMethod Rise = new("rise", "RISE", MethodFamily.Perturbation, ExplanationLayout.Map, typeof(RiseOptions), MethodNeeds.ForwardPasses, "Petsiuk et al., RISE, BMVC 2018", "score-weighted random masks", "it needs one forward pass per random mask",
        (m, model, s) =>
        {
            var d = new RiseOptions();
            return new Attribution.Rise(model, new RiseOptions { Masks = s.Masks ?? d.Masks, Seed = s.Seed ?? d.Seed, Output = s.Output, ExplainedInput = s.ExplainedInput, Execution = s.Execution });
        });

    /// <summary>Layer-wise Relevance Propagation (Bach et al., "On Pixel-Wise Explanations for Non-Linear Classifier Decisions by Layer-Wise Relevance Propagation", PLoS ONE 2015) with a named composite of <see cref="LrpComposites"/> (Montavon et al. 2019).</summary>
    public static readonly ExplanationMethod Lrp = new("lrp", "LRP", MethodFamily.Lrp, ExplanationLayout.InputAttribution, typeof(LrpOptions), MethodNeeds.Gradients, "Bach et al., Layer-Wise Relevance Propagation, PLoS ONE 2015", "relevance propagated by a composite of rules (--composite)", null,
        (m, model, s) =>
        {
            var d = new LrpOptions();
            var composite = LrpComposites.Find(s.Composite ?? LrpComposites.EpsilonPlus.Name).Create(new LrpCompositeSettings { Epsilon = s.Epsilon, Low = s.Low, High = s.High });
            return new LrpExplainer(model, new LrpOptions { Composite = composite, Seed = s.LrpSeed ?? d.Seed, Canonize = s.Canonize ?? d.Canonize, Output = s.Output, ExplainedInput = s.ExplainedInput, Execution = s.Execution });
        }, conservesScore: true);

    /// <summary>Attention rollout (Abnar &amp; Zuidema, "Quantifying Attention Flow in Transformers", ACL 2020): the product over blocks of (I + Ā)/2, read at the class token; class-independent.</summary>
    public static readonly ExplanationMethod AttentionRollout = Attention("attention-rollout", "Attention rollout", "Abnar & Zuidema, Quantifying Attention Flow in Transformers, ACL 2020", "product of head-averaged attention with the identity (class-independent)", TransformerMethod.AttentionRollout);

    /// <summary>Gradient-weighted attention relevance (Chefer, Gur &amp; Wolf, "Generic Attention-model Explainability", ICCV 2021): R ← R + mean_h(ReLU(∇A ⊙ A))·R over blocks.</summary>
    public static readonly ExplanationMethod AttentionGradient = Attention("attention-gradient", "Gradient-weighted attention", "Chefer et al., Generic Attention-model Explainability, ICCV 2021", "attention weighted by its gradient, accumulated over blocks", TransformerMethod.GradientWeightedAttention);

    /// <summary>Transformer LRP (Achtibat et al., "AttnLRP: Attention-Aware Layer-Wise Relevance Propagation for Transformers", ICML 2024; Ali et al., ICML 2022): relevance of the patch tokens.</summary>
    public static readonly ExplanationMethod TransformerLrp = Attention("transformer-lrp", "Transformer LRP", "Achtibat et al., AttnLRP, ICML 2024", "LRP with attention-aware rules", TransformerMethod.Lrp);

    /// <summary>Every method, in help order: the CAM family, gradients, modified-ReLU methods, perturbations, LRP, vision transformers.</summary>
    public static IReadOnlyList<ExplanationMethod> All { get; } = typeof(ExplanationMethods)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ExplanationMethod))
        .Select(f => (ExplanationMethod)f.GetValue(null)!)
        .OrderBy(m => m.Family)
        .ToArray();

    /// <summary>The method named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No method has that name; the message lists the names.</exception>
    public static ExplanationMethod Find(string name) =>
        TryFind(name) ?? throw new ArgumentException($"Unknown explanation method '{name}'. Methods: {string.Join(", ", All.Select(m => m.Name))}.", nameof(name));

    /// <summary>The method named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static ExplanationMethod? TryFind(string? name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The one target layer of a method that takes a single layer (Guided Grad-CAM), or null for the automatic choice.</summary>
    /// <exception cref="ArgumentException">Several layers are given.</exception>
    internal static string? SingleTargetLayer(MethodSettings settings, ExplanationMethod method) =>
        TargetLayers.Names(settings.TargetLayer, settings.TargetLayers) switch
        {
            [] => null,
            [var one] => one,
            var several => throw new ArgumentException($"{method.DisplayName} takes one target layer; {several.Count} were given ({string.Join(", ", several)}).", nameof(settings)),
        };

    private static ExplanationMethod Weighting(string name, string displayName, string paper, string summary, Func<CamWeighting> weighting, string? notCompilable = null, MethodNeeds needs = MethodNeeds.Gradients) =>
        new(name, displayName, MethodFamily.Cam, ExplanationLayout.Map, typeof(CamOptions), MethodNeeds.TargetLayer | needs, paper, summary, notCompilable,
            (m, model, s) =>
            {
                var d = new CamOptions();
                return new CamExplainer(model, new CamOptions { Method = m, TargetLayer = s.TargetLayer, TargetLayers = s.TargetLayers, Layout = s.Layout, Output = s.Output, ExplainedInput = s.ExplainedInput, Execution = s.Execution, Samples = s.Samples, NoiseLevel = s.NoiseLevel, Seed = s.Seed ?? d.Seed, EigenSmooth = s.EigenSmooth ?? d.EigenSmooth, AugSmooth = s.AugSmooth ?? d.AugSmooth, AblationFill = s.AblationFill ?? d.AblationFill });
            },
            weighting);

    private static ExplanationMethod InputGradient(string name, string displayName, string paper, string summary, GradientMethod method, bool absolute, string? notCompilable) =>
        new(name, displayName, method is GradientMethod.GuidedBackprop or GradientMethod.Deconvnet ? MethodFamily.ModifiedRelu : MethodFamily.Gradient, ExplanationLayout.InputAttribution, typeof(GradientOptions), MethodNeeds.Gradients, paper, summary, notCompilable,
            (m, model, s) =>
            {
                var d = new GradientOptions();
                return new GradientExplainer(model, new GradientOptions { Method = method, Absolute = s.Absolute ?? absolute, Samples = s.Samples ?? d.Samples, NoiseLevel = s.NoiseLevel ?? d.NoiseLevel, Seed = s.Seed ?? d.Seed, Output = s.Output, ExplainedInput = s.ExplainedInput, Execution = s.Execution });
            },
            mode: (method, absolute), conservesScore: method == GradientMethod.InputXGradient);

    private static ExplanationMethod Attention(string name, string displayName, string paper, string summary, TransformerMethod method) =>
        new(name, displayName, MethodFamily.VisionTransformer, ExplanationLayout.Map, typeof(TransformerOptions), MethodNeeds.Attention | (method == TransformerMethod.AttentionRollout ? MethodNeeds.None : MethodNeeds.Gradients), paper, summary, null,
            (m, model, s) => new TransformerExplainer(model, new TransformerOptions { Method = method, Output = s.Output, ExplainedInput = s.ExplainedInput, Execution = s.Execution }),
            mode: method);
}
