using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

// The entries: one declaration per metric. Each computes its per-sample values with the options the context's
// convention gives (or the caller's override), so the default and Quantus conventions differ only here.
public static partial class MetricRegistry
{
    private const string Yeh = "Yeh et al., On the (In)fidelity and Sensitivity of Explanations, NeurIPS 2019";
    private const string NguyenMartinez = "Nguyen and Rodríguez Martínez, On quantitative aspects of model interpretability, 2020";
    private const string Agarwal = "Agarwal et al., Rethinking Stability for Attribution-based Explanations, ICLR 2022 workshop";
    private const string Dasgupta = "Dasgupta, Frost and Moshkovitz, Framework for Evaluating Faithfulness of Local Explanations, ICML 2022";
    private const string Hedstrom = "Hedström et al., Sanity Checks Revisited: An Exploration to Repair the Model Parameter Randomisation Test, 2023";
    private const string Arras = "Arras, Osman and Samek, CLEVR-XAI, Information Fusion 2022";

    /// <summary>Deletion AUC (<see cref="DeletionInsertion.Deletion"/>); Quantus: black baseline, trapz with dx = 1.</summary>
    public static MetricDescriptor Deletion { get; } = new(
        "deletion", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, false, typeof(DeletionInsertionOptions),
        "Petsiuk, Das and Saenko, RISE, BMVC 2018",
        "Area under the target probability as the most relevant pixels are set to the baseline (default: over the removed fraction, unperturbed point included; Quantus: np.trapz dx = 1 without it, black baseline).",
        c =>
        {
            var curves = DeletionInsertion.Deletion(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("deletion", () => new DeletionInsertionOptions { Steps = c.CurveSteps ?? 50, Ranking = c.RankingOrDefault }, () => new DeletionInsertionOptions { Steps = c.CurveSteps ?? 50, Baseline = new() { Kind = BaselineKind.Black }, Ranking = c.RankingOrDefault }), c.Progress, c.CancellationToken);
            return new MetricValues(c.IsQuantus ? curves.UnitStepAuc : curves.Auc, curves);
        });

    /// <summary>Insertion AUC (<see cref="DeletionInsertion.Insertion"/>); Quantus: black baseline, trapz with dx = 1.</summary>
    public static MetricDescriptor Insertion { get; } = new(
        "insertion", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(DeletionInsertionOptions),
        "Petsiuk, Das and Saenko, RISE, BMVC 2018",
        "Area under the target probability as the most relevant pixels are put back onto the baseline (AUC as for deletion).",
        c =>
        {
            var curves = DeletionInsertion.Insertion(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("insertion", () => new DeletionInsertionOptions { Steps = c.CurveSteps ?? 50, Ranking = c.RankingOrDefault }, () => new DeletionInsertionOptions { Steps = c.CurveSteps ?? 50, Baseline = new() { Kind = BaselineKind.Black }, Ranking = c.RankingOrDefault }), c.Progress, c.CancellationToken);
            return new MetricValues(c.IsQuantus ? curves.UnitStepAuc : curves.Auc, curves);
        });

    /// <summary>Pixel flipping (<see cref="PixelFlipping"/>): AOPC of MoRF by default; Quantus: the AUC of the MoRF probability curve, one pixel per step, black baseline.</summary>
    public static MetricDescriptor PixelFlippingMorf { get; } = new(
        "pixel-flipping", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(PixelFlippingOptions),
        "Bach et al., PLOS ONE 2015; Samek et al., IEEE TNNLS 2017",
        "Default: AOPC of the MoRF logit curve (20 steps, uniform-noise baseline), higher is better. Quantus: np.trapz (dx = 1) of the MoRF probability curve after each single pixel, black baseline, lower is better.",
        c =>
        {
            int features = c.RankingOrDefault.Layout(c.Inputs).Features;
            var curves = PixelFlipping.Curves(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("pixel-flipping", () => new PixelFlippingOptions { Ranking = c.RankingOrDefault, Baseline = new() { Kind = BaselineKind.UniformNoise, Seed = c.Seed } }, () => new PixelFlippingOptions { Steps = features, Baseline = new() { Kind = BaselineKind.Black }, Score = ScoreKind.Probability, Ranking = c.RankingOrDefault }), descending: true, c.Progress, c.CancellationToken);
            return new MetricValues(c.IsQuantus ? curves.UnitStepAuc : curves.Curves.Select(PixelFlippingResult.Aopc).ToArray(), curves);
        },
        higherIsBetterUnderQuantus: false);

    /// <summary>ROAD, most relevant removed first (<see cref="Road"/>): mean probability over the percentages; Quantus: floored counts, 1 %…99 % in steps of 2, accuracy.</summary>
    public static MetricDescriptor RoadMorf { get; } = new(
        "road-morf", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, false, typeof(RoadOptions),
        "Rong et al., A Consistent and Efficient Evaluation Strategy for Attribution Methods, ICML 2022",
        "Mean over the percentages of the target probability (Quantus: accuracy) after the top pixels are removed and imputed by the noisy linear imputer.",
        c =>
        {
            var curves = Road.Order(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("road-morf", () => new RoadOptions { Seed = c.Seed, Ranking = c.RankingOrDefault }, () => QuantusRoad(c)), descending: true, c.Progress, c.CancellationToken);
            return new MetricValues(curves.Curves.Select(v => v.Average()).ToArray(), curves);
        });

    /// <summary>ROAD, least relevant removed first (<see cref="Road"/>).</summary>
    public static MetricDescriptor RoadLerf { get; } = new(
        "road-lerf", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(RoadOptions),
        "Rong et al., ICML 2022",
        "Mean over the percentages of the target probability (Quantus: accuracy) after the bottom pixels are removed and imputed.",
        c =>
        {
            var curves = Road.Order(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("road-lerf", () => new RoadOptions { Seed = c.Seed, Ranking = c.RankingOrDefault }, () => QuantusRoad(c)), descending: false, c.Progress, c.CancellationToken);
            return new MetricValues(curves.Curves.Select(v => v.Average()).ToArray(), curves);
        });

    /// <summary>Faithfulness correlation (<see cref="Evaluation.FaithfulnessCorrelation"/>); Quantus: 100 runs of 224 pixels, black baseline.</summary>
    public static MetricDescriptor FaithfulnessCorrelationMetric { get; } = new(
        "faithfulness-correlation", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(FaithfulnessCorrelationOptions),
        "Bhatt, Weller and Moura, IJCAI 2020",
        "Pearson's r between the attribution of random pixel subsets and the logit drop when they are set to the baseline (default 50 runs of 10 %; Quantus 100 runs of 224 pixels, black).",
        c => new MetricValues(FaithfulnessCorrelation.Run(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("faithfulness-correlation", () => new FaithfulnessCorrelationOptions { Seed = c.Seed, Unit = c.RankingOrDefault.Unit }, () => new FaithfulnessCorrelationOptions { Runs = 100, SubsetSize = 224, Baseline = new() { Kind = BaselineKind.Black }, Seed = c.Seed }), c.Progress, c.CancellationToken)));

    /// <summary>Faithfulness estimate (<see cref="Evaluation.FaithfulnessEstimate"/>).</summary>
    public static MetricDescriptor FaithfulnessEstimateMetric { get; } = new(
        "faithfulness-estimate", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(FaithfulnessEstimateOptions),
        "Alvarez-Melis and Jaakkola, Towards Robust Interpretability with Self-Explaining Neural Networks, NeurIPS 2018",
        "Pearson's r between the attribution of each group of pixels (most relevant first) and the logit drop when that group alone is set to the baseline (Quantus: single pixels, black).",
        c => new MetricValues(FaithfulnessEstimate.Run(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("faithfulness-estimate", () => new FaithfulnessEstimateOptions { Ranking = c.RankingOrDefault }, () => FaithfulnessEstimateOptions.Quantus), c.Progress, c.CancellationToken)));

    /// <summary>Infidelity, Yeh et al.'s estimator (<see cref="InfidelityEstimator.GaussianOptimalScale"/>) under both conventions.</summary>
    public static MetricDescriptor InfidelityGaussian { get; } = new(
        "infidelity-gaussian", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, false, typeof(InfidelityOptions),
        Yeh,
        "Mean squared error between βIᵀΦ and the logit drop f(x) − f(x − I) over Gaussian perturbations I ~ N(0, 0.1²), β optimal (the authors' code).",
        c => new MetricValues(Infidelity.Run(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("infidelity-gaussian", () => new InfidelityOptions { Seed = c.Seed }, () => new InfidelityOptions { Seed = c.Seed }), c.Progress, c.CancellationToken)));

    /// <summary>Infidelity, Quantus's estimator (<see cref="InfidelityEstimator.PatchReplacement"/>) under both conventions.</summary>
    public static MetricDescriptor InfidelityPatch { get; } = new(
        "infidelity-patch", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, false, typeof(InfidelityOptions),
        Yeh + "; Quantus 0.6's estimator",
        "Mean over cumulative 4×4 patch replacements by the black baseline of (f(x) − f(x̃) − Σ a·(x − x̃))², logits, no β (Quantus's infidelity).",
        c => new MetricValues(Infidelity.Run(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("infidelity-patch", () => InfidelityOptions.Quantus, () => InfidelityOptions.Quantus), c.Progress, c.CancellationToken)));

    /// <summary>Monotonicity of Arya et al. (<see cref="Monotonicity.Arya"/>).</summary>
    public static MetricDescriptor MonotonicityArya { get; } = new(
        "monotonicity", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(MonotonicityOptions),
        "Arya et al., One Explanation Does Not Fit All, 2019",
        "1 when the target probability never decreases as pixel groups are put back onto the baseline in order of increasing |attribution|, else 0 (Quantus: single pixels, black).",
        c => new MetricValues(Monotonicity.Arya(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("monotonicity", () => new MonotonicityOptions { Ranking = c.RankingOrDefault }, () => MonotonicityOptions.Quantus), c.Progress, c.CancellationToken)));

    /// <summary>Monotonicity correlation of Nguyen and Rodríguez Martínez (<see cref="Monotonicity.Correlation"/>).</summary>
    public static MetricDescriptor MonotonicityNguyen { get; } = new(
        "monotonicity-correlation", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(MonotonicityCorrelationOptions),
        NguyenMartinez,
        "Spearman's ρ between each pixel group's |attribution| and the relative variance of the probability when the group alone is replaced by uniform noise (default 5 draws per group; Quantus 100 per pixel).",
        c => new MetricValues(Monotonicity.Correlation(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("monotonicity-correlation", () => new MonotonicityCorrelationOptions { Seed = c.Seed, Ranking = c.RankingOrDefault }, () => new MonotonicityCorrelationOptions { FeaturesPerStep = 1, Samples = 100, Seed = c.Seed }), c.Progress, c.CancellationToken)));

    /// <summary>Selectivity (<see cref="PatchMetrics.Selectivity"/>).</summary>
    public static MetricDescriptor SelectivityMetric { get; } = new(
        "selectivity", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, false, typeof(SelectivityOptions),
        "Montavon, Samek and Müller, Methods for interpreting and understanding deep neural networks, DSP 2018",
        "Area under the target probability as patches are removed cumulatively, most relevant first (default 4×4 patches, zero baseline, AUC over the removed fraction; Quantus 8×8, black, trapz dx = 1).",
        c =>
        {
            var curves = PatchMetrics.Selectivity(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("selectivity", () => new SelectivityOptions { Ranking = c.RankingOrDefault }, () => SelectivityOptions.Quantus), c.Progress, c.CancellationToken);
            return new MetricValues(c.IsQuantus ? curves.UnitStepAuc : curves.Auc, curves);
        });

    /// <summary>Sensitivity-n (<see cref="SensitivityN"/>), the mean over subset sizes.</summary>
    public static MetricDescriptor SensitivityNMetric { get; } = new(
        "sensitivity-n", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(SensitivityNOptions),
        "Ancona et al., Towards better understanding of gradient-based attribution methods, ICLR 2018",
        "Pearson's r between the attribution sum of random n-pixel subsets and the logit drop when they are set to the baseline, averaged over n (the paper's per-sample form; Quantus correlates over the batch instead).",
        c => new MetricValues(SensitivityN.Run(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("sensitivity-n", () => new SensitivityNOptions { Seed = c.Seed }, () => new SensitivityNOptions { Seed = c.Seed, Baseline = new() { Kind = BaselineKind.Black }, Score = ScoreKind.Probability }), c.Progress, c.CancellationToken).Mean));

    /// <summary>IROF (<see cref="PatchMetrics.Irof"/>).</summary>
    public static MetricDescriptor IrofMetric { get; } = new(
        "irof", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(IrofOptions),
        "Rieger and Hansen, IROF: a low resource evaluation metric for explanation methods, ICLR 2020 workshop",
        "Area over the relative probability curve as segments are replaced by the mean, most relevant first (default: 1 − AUC over the removed fraction; Quantus: S − trapz dx = 1, SLIC segments where here 4×4 squares).",
        c =>
        {
            var result = PatchMetrics.Irof(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("irof", () => new IrofOptions { Ranking = c.RankingOrDefault }, () => IrofOptions.Quantus), c.Progress, c.CancellationToken);
            return new MetricValues(c.IsQuantus ? result.QuantusAoc : result.Aoc);
        });

    /// <summary>Region perturbation by patches (<see cref="PatchMetrics.RegionPerturbation"/>).</summary>
    public static MetricDescriptor RegionPerturbationMetric { get; } = new(
        "region-perturbation", MetricFamily.Faithfulness, MetricNeeds.ModelPasses, true, typeof(RegionPerturbationOptions),
        "Samek et al., Evaluating the visualization of what a deep neural network has learned, IEEE TNNLS 2017",
        "AOPC of the probability as up to 100 patches are replaced cumulatively by uniform noise, most relevant first (default 4×4, unperturbed point included; Quantus 8×8, without it).",
        c =>
        {
            var result = PatchMetrics.RegionPerturbation(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("region-perturbation", () => new RegionPerturbationOptions { Baseline = new() { Kind = BaselineKind.UniformNoise, Seed = c.Seed }, Ranking = c.RankingOrDefault }, () => new RegionPerturbationOptions { PatchSize = 8, Baseline = new() { Kind = BaselineKind.UniformNoise, Seed = c.Seed } }), c.Progress, c.CancellationToken);
            return new MetricValues(c.IsQuantus ? result.AopcWithoutUnperturbed : result.Aopc, result.Curves);
        });

    /// <summary>Local sufficiency (<see cref="Sufficiency.Local"/>).</summary>
    public static MetricDescriptor SufficiencyMetric { get; } = new(
        "sufficiency", MetricFamily.Faithfulness, MetricNeeds.ModelPasses | MetricNeeds.SeveralSamples, true, null,
        Dasgupta,
        "Share of the other samples whose normalised |explanation| lies within standardised Euclidean distance 0.6 that have the same predicted class.",
        c => new MetricValues(Sufficiency.Local(c.Scorer.Predict(c.Inputs, c.CancellationToken), c.Explanations)));

    /// <summary>Max-sensitivity (<see cref="MaxSensitivity"/>); Quantus: radius 0.2, 200 samples, relative.</summary>
    public static MetricDescriptor MaxSensitivityMetric { get; } = new(
        "max-sensitivity", MetricFamily.Robustness, MetricNeeds.ExplainerReruns, false, typeof(MaxSensitivityOptions),
        Yeh,
        "Largest ‖Φ(y) − Φ(x)‖₂ over uniform perturbations y in the L∞ ball (default radius 0.05, 10 samples, absolute; Quantus 0.2, 200, divided by ‖Φ(x)‖₂).",
        c => new MetricValues(MaxSensitivity.Sensitivities(c.Inputs, c.ExplainSample, c.OptionsFor("max-sensitivity", () => new MaxSensitivityOptions { Seed = c.Seed }, () => new MaxSensitivityOptions { Radius = 0.2, Samples = 200, Normalize = true, Seed = c.Seed }), average: false, c.Progress, c.CancellationToken)));

    /// <summary>Average sensitivity (<see cref="AverageSensitivity"/>).</summary>
    public static MetricDescriptor AverageSensitivityMetric { get; } = new(
        "average-sensitivity", MetricFamily.Robustness, MetricNeeds.ExplainerReruns, false, typeof(MaxSensitivityOptions),
        Yeh,
        "Mean ‖Φ(y) − Φ(x)‖₂ over the same perturbations as max-sensitivity (Quantus: radius 0.2, 200 samples, relative).",
        c => new MetricValues(MaxSensitivity.Sensitivities(c.Inputs, c.ExplainSample, c.OptionsFor("average-sensitivity", () => new MaxSensitivityOptions { Seed = c.Seed }, () => new MaxSensitivityOptions { Radius = 0.2, Samples = 200, Normalize = true, Seed = c.Seed }), average: true, c.Progress, c.CancellationToken)));

    /// <summary>Local Lipschitz estimate (<see cref="Robustness.LocalLipschitz(FloatTensor, Func{FloatTensor, FloatTensor}, LocalLipschitzOptions?, IProgress{EvaluationProgress}?, CancellationToken)"/>).</summary>
    public static MetricDescriptor LocalLipschitzMetric { get; } = new(
        "local-lipschitz-estimate", MetricFamily.Robustness, MetricNeeds.ExplainerReruns, false, typeof(LocalLipschitzOptions),
        "Alvarez-Melis and Jaakkola, On the Robustness of Interpretability Methods, 2018",
        "Largest ‖Φ(x) − Φ(x')‖₂/‖x − x'‖₂ over Gaussian perturbations of σ = 0.1, explanations divided by their maximum (default 10 samples; Quantus 200).",
        c => new MetricValues(Robustness.LocalLipschitz(c.Inputs, c.ExplainSample, c.OptionsFor("local-lipschitz-estimate", () => new LocalLipschitzOptions { Seed = c.Seed }, () => new LocalLipschitzOptions { Samples = 200, Seed = c.Seed }), c.Progress, c.CancellationToken)));

    /// <summary>Continuity (<see cref="Robustness.Continuity(FloatTensor, Func{FloatTensor, FloatTensor}, ContinuityOptions?, IProgress{EvaluationProgress}?, CancellationToken)"/>).</summary>
    public static MetricDescriptor ContinuityMetric { get; } = new(
        "continuity", MetricFamily.Robustness, MetricNeeds.ExplainerReruns, false, typeof(ContinuityOptions),
        "Montavon, Samek and Müller, DSP 2018",
        "Largest ‖Φ(x) − Φ(x_t)‖₁/‖x − x_t‖₂ over horizontal translations x_t (black fill), explanations absolute and max-normalised (default 7 translations; Quantus 28).",
        c => new MetricValues(Robustness.Continuity(c.Inputs, c.ExplainSample, c.OptionsFor("continuity", () => new ContinuityOptions(), () => ContinuityOptions.Quantus), c.Progress, c.CancellationToken)));

    /// <summary>Consistency (<see cref="Sufficiency.Consistency"/>).</summary>
    public static MetricDescriptor ConsistencyMetric { get; } = new(
        "consistency", MetricFamily.Robustness, MetricNeeds.ModelPasses | MetricNeeds.SeveralSamples, true, null,
        Dasgupta,
        "Share of the other samples with the same discretised explanation (default: the same 5 most relevant elements; Quantus: the signs of the first 5 elements) that have the same predicted class.",
        c => new MetricValues(Sufficiency.Consistency(c.Scorer.Predict(c.Inputs, c.CancellationToken), c.Explanations, 5, quantusSigns: c.IsQuantus)));

    /// <summary>Relative input stability (<see cref="Robustness.RelativeInputStability"/>).</summary>
    public static MetricDescriptor RelativeInputStabilityMetric { get; } = new(
        "relative-input-stability", MetricFamily.Robustness, MetricNeeds.ExplainerReruns | MetricNeeds.ModelPasses, false, typeof(RelativeStabilityOptions),
        Agarwal,
        "Largest relative explanation change over relative input change, over uniform perturbations that keep the prediction (default ±0.05, 10 draws; Quantus [0.02, 0.2], 200).",
        c => new MetricValues(Robustness.Relative(c.Scorer, c.Inputs, c.Explanations, c.ExplainSample, Stability(c, "relative-input-stability"), Robustness.RelativeKind.Input, null, c.Progress, c.CancellationToken)));

    /// <summary>Relative output stability (<see cref="Robustness.RelativeOutputStability"/>).</summary>
    public static MetricDescriptor RelativeOutputStabilityMetric { get; } = new(
        "relative-output-stability", MetricFamily.Robustness, MetricNeeds.ExplainerReruns | MetricNeeds.ModelPasses, false, typeof(RelativeStabilityOptions),
        Agarwal,
        "Largest relative explanation change over the change of the logits, same draws as relative input stability.",
        c => new MetricValues(Robustness.Relative(c.Scorer, c.Inputs, c.Explanations, c.ExplainSample, Stability(c, "relative-output-stability"), Robustness.RelativeKind.Output, null, c.Progress, c.CancellationToken)));

    /// <summary>Relative representation stability (<see cref="Robustness.RelativeRepresentationStability"/>).</summary>
    public static MetricDescriptor RelativeRepresentationStabilityMetric { get; } = new(
        "relative-representation-stability", MetricFamily.Robustness, MetricNeeds.ExplainerReruns | MetricNeeds.ModelPasses, false, typeof(RelativeStabilityOptions),
        Agarwal,
        "Largest relative explanation change over the relative change of the penultimate representation (the input of the last Gemm/MatMul; Quantus: every layer).",
        c => new MetricValues(Robustness.Relative(c.Scorer, c.Inputs, c.Explanations, c.ExplainSample, Stability(c, "relative-representation-stability"), Robustness.RelativeKind.Representation, c.Representations, c.Progress, c.CancellationToken)));

    /// <summary>Pointing game (<see cref="Localisation.PointingGame"/>).</summary>
    public static MetricDescriptor PointingGame { get; } = new(
        "pointing-game", MetricFamily.Localisation, MetricNeeds.Masks, true, null,
        "Zhang et al., Top-down Neural Attention by Excitation Backprop, IJCV 2018",
        "1 when the most salient pixel lies in the mask, else 0 (tolerance 0, as Quantus).",
        c => new MetricValues(Localisation.PointingGame(c.Explanations, c.Masks!)));

    /// <summary>Relevance mass accuracy with positive relevance (<see cref="RelevanceMass.PositiveOnly"/>, the paper's, the default).</summary>
    public static MetricDescriptor RelevanceMassAccuracy { get; } = new(
        "relevance-mass-accuracy", MetricFamily.Localisation, MetricNeeds.Masks, true, null,
        Arras,
        "Share of the positive relevance that falls inside the mask.",
        c => new MetricValues(Localisation.RelevanceMassAccuracy(c.Explanations, c.Masks!, RelevanceMass.PositiveOnly)));

    /// <summary>Relevance mass accuracy with signed relevance (<see cref="RelevanceMass.Signed"/>, Quantus's).</summary>
    public static MetricDescriptor RelevanceMassAccuracySigned { get; } = new(
        "relevance-mass-accuracy-signed", MetricFamily.Localisation, MetricNeeds.Masks, true, null,
        Arras + "; Quantus 0.6's signed form",
        "Σ of the signed saliency inside the mask over the total Σ (Quantus's relevance mass accuracy; leaves [0, 1] for signed maps).",
        c => new MetricValues(Localisation.RelevanceMassAccuracy(c.Explanations, c.Masks!, RelevanceMass.Signed)));

    /// <summary>Relevance rank accuracy (<see cref="Localisation.RelevanceRankAccuracy"/>).</summary>
    public static MetricDescriptor RelevanceRankAccuracy { get; } = new(
        "relevance-rank-accuracy", MetricFamily.Localisation, MetricNeeds.Masks, true, null,
        Arras,
        "Share of the K most relevant pixels inside the mask, K the mask's size.",
        c => new MetricValues(Localisation.RelevanceRankAccuracy(c.Explanations, c.Masks!)));

    /// <summary>Attribution localisation (<see cref="Localisation.AttributionLocalisation"/>).</summary>
    public static MetricDescriptor AttributionLocalisation { get; } = new(
        "attribution-localisation", MetricFamily.Localisation, MetricNeeds.Masks, true, null,
        "Kohlbrenner et al., Towards Best Practice in Explaining Neural Network Decisions with LRP, IJCNN 2020",
        "Share of the positive attribution inside the mask (Quantus: of the absolute attribution).",
        c => new MetricValues(Localisation.AttributionLocalisation(c.Explanations, c.Masks!, absolute: c.IsQuantus)));

    /// <summary>Localisation AUC (<see cref="Localisation.RocAuc"/>).</summary>
    public static MetricDescriptor LocalisationAuc { get; } = new(
        "auc", MetricFamily.Localisation, MetricNeeds.Masks, true, null,
        "Fawcett, An introduction to ROC analysis, Pattern Recognition Letters 2006",
        "ROC AUC of the saliency as a detector of mask pixels.",
        c => new MetricValues(Localisation.RocAuc(c.Explanations, c.Masks!)));

    /// <summary>Top-k intersection (<see cref="Localisation.TopKIntersection"/>).</summary>
    public static MetricDescriptor TopKIntersection { get; } = new(
        "top-k-intersection", MetricFamily.Localisation, MetricNeeds.Masks, true, null,
        "Theiner, Müller-Budack and Ewerth, Interpretable Semantic Photo Geolocation, WACV 2022",
        "Share of the k most salient pixels inside the mask (default k = 10 % of the pixels; Quantus k = 1000, capped at the pixel count).",
        c =>
        {
            int features = FeatureLayout.Of(c.Inputs).Features;
            return new MetricValues(Localisation.TopKIntersection(c.Explanations, c.Masks!, c.IsQuantus ? 1000 : Math.Max(1, features / 10)));
        });

    /// <summary>Focus on mosaics built from the batch (<see cref="Localisation.Focus"/>, <see cref="Mosaics.FromBatch"/>).</summary>
    public static MetricDescriptor Focus { get; } = new(
        "focus", MetricFamily.Localisation, MetricNeeds.Mosaics | MetricNeeds.ExplainerReruns, true, null,
        "Arias-Duart et al., Focus! Rating XAI Methods and Finding Biases, FUZZ-IEEE 2022",
        "Share of the positive relevance in the target-class quadrants of a 2×2 mosaic built from the batch (each sample with a same-class and two other-class images, halved), explained for the sample's class.",
        c =>
        {
            var mosaics = Mosaics.FromBatch(c.Inputs, c.Targets, c.Seed);
            var explained = c.Explain!(c.Model, mosaics.Images, mosaics.Targets);
            return new MetricValues(Localisation.Focus(explained, mosaics.TargetQuadrants));
        });

    /// <summary>Sparseness, the Gini index (<see cref="Complexity.Sparseness"/>).</summary>
    public static MetricDescriptor Sparseness { get; } = new(
        "sparseness", MetricFamily.Complexity, MetricNeeds.None, true, null,
        "Chalasani et al., Concise Explanations of Neural Networks using Adversarial Training, ICML 2020",
        "Gini index of |a|.",
        c => new MetricValues(Complexity.Sparseness(c.Explanations)));

    /// <summary>Complexity, the entropy (<see cref="Complexity.EntropyComplexity"/>).</summary>
    public static MetricDescriptor EntropyComplexity { get; } = new(
        "complexity", MetricFamily.Complexity, MetricNeeds.None, false, null,
        "Bhatt, Weller and Moura, IJCAI 2020",
        "Shannon entropy of |a|/Σ|a|.",
        c => new MetricValues(Complexity.EntropyComplexity(c.Explanations)));

    /// <summary>Effective complexity (<see cref="Complexity.EffectiveComplexity"/>).</summary>
    public static MetricDescriptor EffectiveComplexity { get; } = new(
        "effective-complexity", MetricFamily.Complexity, MetricNeeds.None, false, null,
        NguyenMartinez,
        "Number of elements with |a|/max|a| > 1e-5.",
        c => new MetricValues(Complexity.EffectiveComplexity(c.Explanations)));

    /// <summary>MPRT at the fully randomised model (<see cref="ModelRandomisation.Run"/>, last cascade stage).</summary>
    public static MetricDescriptor Mprt { get; } = new(
        "mprt", MetricFamily.Randomisation, MetricNeeds.ExplainerReruns, false, typeof(RandomisationOptions),
        "Adebayo et al., Sanity Checks for Saliency Maps, NeurIPS 2018",
        "Spearman's ρ of |Φ| between the original model and the model with every layer randomised (the cascade's last stage).",
        c =>
        {
            var options = c.OptionsFor("mprt", () => new RandomisationOptions { MaxStages = 1, Seed = c.Seed }, () => new RandomisationOptions { MaxStages = 1, Seed = 42 });
            var stages = ModelRandomisation.Run(c.Model, c.Inputs, c.ExplainWithModel, options, c.Progress, c.CancellationToken);
            return new MetricValues(stages[^1].SpearmanAbsolute);
        });

    /// <summary>Smooth MPRT (<see cref="MprtVariants.Smooth"/>).</summary>
    public static MetricDescriptor SmoothMprt { get; } = new(
        "smooth-mprt", MetricFamily.Randomisation, MetricNeeds.ExplainerReruns, false, typeof(SmoothMprtOptions),
        Hedstrom,
        "Spearman's ρ between noise-averaged |Φ| of the original and of the fully randomised model (default 10 noisy copies; Quantus 50).",
        c => new MetricValues(MprtVariants.Smooth(c.Model, c.Inputs, c.ExplainWithModel, c.OptionsFor("smooth-mprt", () => new SmoothMprtOptions { Seed = c.Seed }, () => SmoothMprtOptions.Quantus), c.Progress, c.CancellationToken)));

    /// <summary>Efficient MPRT (<see cref="MprtVariants.Efficient"/>).</summary>
    public static MetricDescriptor EfficientMprt { get; } = new(
        "efficient-mprt", MetricFamily.Randomisation, MetricNeeds.ExplainerReruns, true, typeof(EfficientMprtOptions),
        Hedstrom,
        "Histogram entropy of the fully randomised model's explanation over that of the original one.",
        c => new MetricValues(MprtVariants.Efficient(c.Model, c.Inputs, c.Explanations, c.ExplainWithModel, c.OptionsFor("efficient-mprt", () => new EfficientMprtOptions { Seed = c.Seed }, () => EfficientMprtOptions.Quantus))));

    /// <summary>Random-logit test (<see cref="ModelRandomisation.RandomLogit"/>); Quantus: 1-D SSIM of the max-normalised explanations.</summary>
    public static MetricDescriptor RandomLogit { get; } = new(
        "random-logit", MetricFamily.Randomisation, MetricNeeds.ExplainerReruns | MetricNeeds.ModelPasses, false, null,
        "Sixt, Granz and Landgraf, When Explanations Lie, ICML 2020",
        "SSIM between the explanation of the target class and of a random other class (default: 2-D SSIM of the min–max scaled |saliency| maps; Quantus: 1-D SSIM of the flattened max-normalised explanations, seed 42).",
        c =>
        {
            int classes = (int)c.Scorer.Outputs(c.Inputs.Rows(0, 1), c.CancellationToken).Shape[1];
            if (!c.IsQuantus)
            {
                return new MetricValues(ModelRandomisation.RandomLogit(c.Inputs, c.Targets, classes, (x, t) => c.Explain!(c.Model, x, t), c.Seed).Similarity.Ssim);
            }

            var others = ModelRandomisation.RandomClasses(c.Targets, classes, 42);
            var a = FeatureGroups.NormaliseByMax(c.Explanations);
            var b = FeatureGroups.NormaliseByMax(c.Explain!(c.Model, c.Inputs, others));
            return new MetricValues(Enumerable.Range(0, a.BatchSize).Select(n =>
                Similarity.Ssim1D(a.Row(n).ToArray().Select(v => (double)v).ToArray(), b.Row(n).ToArray().Select(v => (double)v).ToArray())).ToArray());
        });

    /// <summary>Completeness (<see cref="Evaluation.Completeness"/>): relative error by default; Quantus: a boolean.</summary>
    public static MetricDescriptor CompletenessMetric { get; } = new(
        "completeness", MetricFamily.Axiomatic, MetricNeeds.ModelPasses, false, null,
        "Sundararajan, Taly and Yan, Axiomatic Attribution for Deep Networks, ICML 2017",
        "Default: |Σa − (f(x) − f(x̄))| / |f(x) − f(x̄)| against the zero baseline, logits (0 for a complete method; a number says how far off). Quantus: 1 when np.isclose(Σ a/max|a|, f(x) − f(black)), else 0.",
        c =>
        {
            if (!c.IsQuantus)
            {
                return new MetricValues(Completeness.Run(c.Scorer, c.Inputs, c.Explanations, c.Targets, cancellationToken: c.CancellationToken).RelativeErrors);
            }

            var result = Completeness.Run(c.Scorer, c.Inputs, FeatureGroups.NormaliseByMax(c.Explanations), c.Targets, new BaselineOptions { Kind = BaselineKind.Black }, ScoreKind.Logit, c.CancellationToken);
            return new MetricValues(result.AttributionSums.Select((s, i) => Math.Abs(s - result.ScoreDifferences[i]) <= 1e-8 + (1e-5 * Math.Abs(result.ScoreDifferences[i])) ? 1.0 : 0.0).ToArray());
        },
        higherIsBetterUnderQuantus: true);

    /// <summary>Non-sensitivity (<see cref="Axiomatic.NonSensitivity"/>).</summary>
    public static MetricDescriptor NonSensitivity { get; } = new(
        "non-sensitivity", MetricFamily.Axiomatic, MetricNeeds.ModelPasses, false, typeof(NonSensitivityOptions),
        NguyenMartinez,
        "Number of pixels where 'no attribution' and 'no effect on the probability when set to the baseline' disagree (one forward pass per pixel; Quantus: black baseline).",
        c => new MetricValues(Axiomatic.NonSensitivity(c.Scorer, c.Inputs, c.Explanations, c.Targets, c.OptionsFor("non-sensitivity", () => new NonSensitivityOptions(), () => NonSensitivityOptions.Quantus), c.Progress, c.CancellationToken)));

    /// <summary>Input invariance (<see cref="Axiomatic.InputInvariance"/>).</summary>
    public static MetricDescriptor InputInvariance { get; } = new(
        "input-invariance", MetricFamily.Axiomatic, MetricNeeds.ExplainerReruns, true, null,
        "Kindermans et al., The (Un)reliability of Saliency Methods, 2019",
        "1 when explaining x − 1 with the model shifted to compensate gives the same explanation (within 1e-4), else 0.",
        c => new MetricValues(Axiomatic.InputInvariance(c.Model, c.Inputs, c.Explanations, (m, x) => c.Explain!(m, x, c.Targets))));

    /// <summary>Every metric, in report order (faithfulness, robustness, localisation, complexity, randomisation, axiomatic).</summary>
    public static IReadOnlyList<MetricDescriptor> All { get; } =
    [
        Deletion, Insertion, PixelFlippingMorf, RoadMorf, RoadLerf, FaithfulnessCorrelationMetric, FaithfulnessEstimateMetric,
        InfidelityGaussian, InfidelityPatch, MonotonicityArya, MonotonicityNguyen, SelectivityMetric, SensitivityNMetric, IrofMetric,
        RegionPerturbationMetric, SufficiencyMetric,
        MaxSensitivityMetric, AverageSensitivityMetric, LocalLipschitzMetric, ContinuityMetric, ConsistencyMetric,
        RelativeInputStabilityMetric, RelativeOutputStabilityMetric, RelativeRepresentationStabilityMetric,
        PointingGame, RelevanceMassAccuracy, RelevanceMassAccuracySigned, RelevanceRankAccuracy, AttributionLocalisation, LocalisationAuc,
        TopKIntersection, Focus,
        Sparseness, EntropyComplexity, EffectiveComplexity,
        Mprt, SmoothMprt, EfficientMprt, RandomLogit,
        CompletenessMetric, NonSensitivity, InputInvariance,
    ];

    private static RoadOptions QuantusRoad(MetricContext c) => new()
    {
        Percentages = Enumerable.Range(0, 50).Select(k => (1 + (2 * k)) / 100.0).ToArray(),
        FloorCounts = true,
        Score = ScoreKind.Accuracy,
        Seed = c.Seed,
    };

    private static RelativeStabilityOptions Stability(MetricContext c, string name) =>
        c.OptionsFor(name, () => new RelativeStabilityOptions { Seed = c.Seed }, () => new RelativeStabilityOptions { Samples = 200, NoiseLow = 0.02, NoiseHigh = 0.2, Seed = c.Seed });
}
