namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// The one sign rule of every principal-component CAM (Eigen-CAM, Eigen-Grad-CAM, KPCA-CAM and the EigenSmooth
/// option). A singular or eigen vector is defined only up to sign, so the projection p of the activations on it is
/// too; pytorch-grad-cam keeps whatever LAPACK's SVD returns, which differs between models and BLAS builds, and the
/// ReLU that follows turns the two signs into different maps. We orient p so that its largest-magnitude value is
/// positive: p ← −p when |min p| &gt; |max p| (Chung &amp; Ying, "Seg-Eigen-CAM", Applied Sciences 2025, Eq. 13, as
/// pytorch-grad-cam's <c>get_2d_projection_with_sign_correction</c>; scikit-learn's <c>KernelPCA</c> fixes its
/// eigenvectors' signs the same way, so KPCA-CAM's maps equal pytorch-grad-cam's). A tie keeps the sign.
/// </summary>
internal static class ComponentSign
{
    /// <summary>Flips <paramref name="projection"/> in place when |min| &gt; |max|.</summary>
    public static void Orient(Span<double> projection)
    {
        if (projection.IsEmpty)
        {
            return;
        }

        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in projection)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        if (Math.Abs(min) > Math.Abs(max))
        {
            for (int i = 0; i < projection.Length; i++)
            {
                projection[i] = -projection[i];
            }
        }
    }
}
