using Microsoft.ML.Explainability.Cli;

// Quick start on the embedded default: `onnx-xai quickstart` on the bundled Fashion-MNIST CNN and the first 8 bundled
// test images. Explains them with Grad-CAM, saliency, integrated gradients and LRP (EpsilonPlus), writes heatmaps
// (.npy and PNG overlays), summary.png and the HTML report (deletion and insertion curves) to out/quickstart/, and
// compiles Grad-CAM into a standalone ONNX model that plain ONNX Runtime checks against the library.
// Arguments are passed on: `dotnet run -c Release --project samples/QuickStart -- --output DIR --count 16`.
return CliApp.Run(["quickstart", .. args], Console.Out, Console.Error);
