using Microsoft.ML.Explainability.Cam;

namespace Microsoft.ML.Explainability.ML;

/// <summary>The LRP composites an <see cref="LrpEstimator"/> can use (see <see cref="Lrp.Composites.LrpComposite"/>).</summary>
public enum LrpCompositeKind
{
    /// <summary>Convolutions z⁺, dense layers ε (<see cref="Lrp.Composites.LrpComposite.EpsilonPlus"/>).</summary>
    EpsilonPlus,

    /// <summary>Convolutions α2β1, dense layers ε (<see cref="Lrp.Composites.LrpComposite.EpsilonAlpha2Beta1"/>).</summary>
    EpsilonAlpha2Beta1,

    /// <summary>As <see cref="EpsilonPlus"/> with the flat rule on the first layer (<see cref="Lrp.Composites.LrpComposite.EpsilonPlusFlat"/>).</summary>
    EpsilonPlusFlat,

    /// <summary>ε everywhere (<see cref="Lrp.Composites.LrpComposite.Epsilon"/>).</summary>
    Epsilon,
}
