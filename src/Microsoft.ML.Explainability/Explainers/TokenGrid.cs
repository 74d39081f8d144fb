using System.Globalization;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// An explicit token grid for a token layer [N, T, C], overriding the automatic reading
/// (prefix tokens = T − the largest square ≤ T, grid √(T − prefix) × √(T − prefix)).
/// </summary>
/// <param name="PrefixTokens">Leading tokens that are not patches (class/distillation/register tokens); they are dropped.</param>
/// <param name="Height">Grid rows; Height·Width must equal T − PrefixTokens.</param>
/// <param name="Width">Grid columns.</param>
public sealed record TokenGrid(int PrefixTokens, int Height, int Width);
