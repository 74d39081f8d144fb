using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Helpers shared by the metrics that perturb features in groups of a ranking.</summary>
internal static class FeatureGroups
{
    /// <summary>Consecutive groups of <paramref name="perStep"/> features of <paramref name="order"/> (the last may be shorter).</summary>
    public static int[][] Chunk(int[] order, int perStep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perStep, 1);
        return order.Chunk(perStep).ToArray();
    }

    /// <summary>The step size: the given count, or ⌈P/<paramref name="defaultSteps"/>⌉ features so that about that many steps cover all P features.</summary>
    public static int PerStep(int? given, int features, int defaultSteps) =>
        given ?? Math.Max(1, (features + defaultSteps - 1) / defaultSteps);

    /// <summary>Σ of the saliency over <paramref name="group"/>.</summary>
    public static double Sum(double[] saliency, IEnumerable<int> group) => group.Sum(p => saliency[p]);

    /// <summary>Each row divided by its largest absolute value (Quantus's normalise_by_max); all-zero rows stay zero.</summary>
    public static FloatTensor NormaliseByMax(FloatTensor tensor)
    {
        var data = (float[])tensor.Data.Clone();
        var result = new FloatTensor(data, (long[])tensor.Shape.Clone());
        for (int n = 0; n < result.BatchSize; n++)
        {
            var row = result.Row(n);
            float max = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row));
            if (max > 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(row, max, row);
            }
        }

        return result;
    }

    /// <summary>Element-wise absolute value.</summary>
    public static FloatTensor Abs(FloatTensor tensor)
    {
        var data = new float[tensor.Length];
        System.Numerics.Tensors.TensorPrimitives.Abs(tensor.Data, data);
        return new FloatTensor(data, (long[])tensor.Shape.Clone());
    }
}
