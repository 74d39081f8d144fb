// Usage: LoadCheck <model.zip> <image folder> <output file> [saliency column]
// Loads a pipeline saved with SaveWithExplainers in this fresh process, scores every *.png of the folder (ordinal
// file-name order, column "ImagePath" holding the file name) and writes the saliency column's floats, row after row,
// little-endian, to the output file.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.ML;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: LoadCheck <model.zip> <image folder> <output file> [saliency column]");
    return 2;
}

var ml = new MLContext(seed: 0);
var model = ml.Model.LoadWithExplainers(args[0], out _);
var files = Directory.GetFiles(args[1], "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(f => new ImageRow { ImagePath = f! }).ToArray();
var scored = model.Transform(ml.Data.LoadFromEnumerable(files));
var column = scored.Schema[args.Length > 3 ? args[3] : "Saliency"];
using var output = new BinaryWriter(File.Create(args[2]));
using var cursor = scored.GetRowCursor([column]);
var getter = cursor.GetGetter<VBuffer<float>>(column);
VBuffer<float> value = default;
int rows = 0;
while (cursor.MoveNext())
{
    getter(ref value);
    foreach (var v in value.DenseValues())
    {
        output.Write(v);
    }

    rows++;
}

Console.WriteLine($"{rows} rows");
return 0;

/// <summary>One image file.</summary>
internal sealed class ImageRow
{
    /// <summary>The file name, relative to the image folder of the pipeline.</summary>
    public string ImagePath { get; set; } = "";
}
