using System.Text.Json.Nodes;
using EdgeRuntime.Host.Tests.Infrastructure;
using EdgeRuntime.Tests.Shared;
using SkiaSharp;

namespace EdgeRuntime.Host.Tests.Batch;

/// <summary>
/// Real pretrained models over a folder of images: PaddleOCR's text direction classifier and text detector score
/// generated pictures of text-like strokes (PNG and JPEG, of various sizes, resized and normalised as each model's
/// manifest says); a corrupt file is an error row and the job goes on.
/// </summary>
[NonParallelizable]
public sealed class BatchPaddleOcrTests
{
    private const int Images = 24;
    private string _data = null!;

    [SetUp]
    public void SetUp()
    {
        var models = PretrainedModels.PaddleOcr();
        _data = TestRepository.NewDataDirectory("batch-paddleocr");

        // The classifier takes x [-1,3,48,192]: RGB scaled to [-1, 1].
        Install("ocr_cls", Path.Combine(models, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), """{"image": {"width": 192, "height": 48, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}""");

        // The detector takes any size; PaddleOCR normalises with ImageNet's mean and deviation.
        Install("ocr_det", Path.Combine(models, "ch_PP-OCRv4_det_infer.onnx"), """{"image": {"width": 64, "height": 64, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}}""");
        var folder = Path.Combine(_data, "crops");
        Directory.CreateDirectory(folder);
        for (var i = 0; i < Images; i++)
        {
            var png = i % 2 == 0;
            WriteTextLikeImage(Path.Combine(folder, $"crop-{i:00}.{(png ? "png" : "jpg")}"), 60 + (i * 37 % 300), 20 + (i * 13 % 60), i, png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg);
        }

        File.WriteAllBytes(Path.Combine(folder, "corrupt.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8]);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not an image: ignored");
    }

    [TearDown]
    public void TearDown() => TestRepository.Delete(_data);

    /// <summary>24 images give 24 results of the model's real output shape, the corrupt one an error naming it.</summary>
    [Test]
    public async Task Batch_DirectionClassifierOverImageFolder_OneResultPerImageAndTheCorruptOneAnError()
    {
        var output = Path.Combine(_data, "directions.db");

        var result = await CommandProcess.RunAsync(_data, "batch", "--data", _data, "--model", "ocr_cls", "--input", Path.Combine(_data, "crops"), "--output", output);

        Assert.That(result.ExitCode, Is.EqualTo(3), result.Error);
        Assert.That(result.Output, Does.Contain($"{Images + 1} rows ({Images} results, 1 errors)"));
        var errors = BatchResults.Errors(output);
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0].Key, Is.EqualTo("corrupt.png"));
        Assert.That(errors[0].Message, Does.Contain("corrupt.png"));

        var results = BatchResults.Results(output);
        Assert.That(results.Select(r => r.Key), Is.EquivalentTo(Enumerable.Range(0, Images).Select(i => $"crop-{i:00}.{(i % 2 == 0 ? "png" : "jpg")}")));
        foreach (var row in results)
        {
            var probabilities = BatchFiles.Floats(row.Data);
            Assert.Multiple(() =>
            {
                Assert.That(row.Output, Is.EqualTo("softmax_0.tmp_0"));
                Assert.That(JsonNode.Parse(row.Shape)!.AsArray().Select(d => d!.GetValue<long>()), Is.EqualTo(new long[] { 1, 2 }));
                Assert.That(probabilities, Has.All.InRange(0f, 1f));
                Assert.That(probabilities.Sum(), Is.EqualTo(1f).Within(1e-4f), "a softmax over the two directions (0°, 180°)");
            });
        }
    }

    /// <summary>The text detector over the same folder at 64 × 64: a probability map per image, of the model's real shape.</summary>
    [Test]
    public async Task Batch_DetectorOverImageFolder_OneProbabilityMapPerImage()
    {
        var output = Path.Combine(_data, "maps.db");

        var result = await CommandProcess.RunAsync(_data, "batch", "--data", _data, "--model", "ocr_det", "--input", Path.Combine(_data, "crops"), "--output", output, "--batch-size", "4");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.Error);
        var results = BatchResults.Results(output);
        Assert.That(results, Has.Count.EqualTo(Images));
        Assert.That(BatchResults.Errors(output).Select(e => e.Key), Is.EqualTo(new[] { "corrupt.png" }));
        foreach (var row in results)
        {
            Assert.That(JsonNode.Parse(row.Shape)!.AsArray().Select(d => d!.GetValue<long>()), Is.EqualTo(new long[] { 1, 1, 64, 64 }), row.Key);
            Assert.That(BatchFiles.Floats(row.Data), Has.Length.EqualTo(64 * 64).And.All.InRange(0f, 1f), "a text probability per pixel");
        }
    }

    private void Install(string name, string onnx, string preprocessing)
    {
        var version = Path.Combine(_data, "models", name, "1");
        Directory.CreateDirectory(version);
        File.Copy(onnx, Path.Combine(version, "model.onnx"));
        File.WriteAllText(Path.Combine(version, "manifest.json"), $$"""{"preprocessing": {{preprocessing}}}""");
    }

    /// <summary>Dark strokes on a light page, roughly where a text line's letters would be.</summary>
    private static void WriteTextLikeImage(string path, int width, int height, int seed, SKEncodedImageFormat format)
    {
        var random = new Random(seed);
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(new SKColor(245, 243, 238));
        using var paint = new SKPaint { Color = new SKColor(20, 20, 30), StrokeWidth = Math.Max(1.5f, height / 10f), IsAntialias = true, Style = SKPaintStyle.Stroke };
        var top = height * 0.2f;
        var bottom = height * 0.8f;
        for (var x = width * 0.05f; x < width * 0.92f; x += height * 0.55f)
        {
            var glyph = height * 0.4f;
            switch (random.Next(4))
            {
                case 0:
                    canvas.DrawLine(x, top, x, bottom, paint);
                    break;
                case 1:
                    canvas.DrawOval(x + glyph / 2, (top + bottom) / 2, glyph / 2, (bottom - top) / 2, paint);
                    break;
                case 2:
                    canvas.DrawLine(x, bottom, x + glyph / 2, top, paint);
                    canvas.DrawLine(x + glyph / 2, top, x + glyph, bottom, paint);
                    break;
                default:
                    canvas.DrawLine(x, top, x + glyph, top, paint);
                    canvas.DrawLine(x + glyph / 2, top, x + glyph / 2, bottom, paint);
                    break;
            }
        }

        using var image = surface.Snapshot();
        using var encoded = image.Encode(format, 90);
        File.WriteAllBytes(path, encoded.ToArray());
    }
}
