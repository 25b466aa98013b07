using System.Buffers.Binary;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Batch.Inputs;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;
using static EdgeRuntime.Device.Tests.Batch.Inputs.InputFolder;

namespace EdgeRuntime.Device.Tests.Batch.Inputs;

/// <summary>
/// Folders of images as batch inputs, with images drawn by SkiaSharp in the test: the preprocessing checked number by
/// number (resize modes, layouts, colour orders, normalisation, EXIF orientation), bad files as error rows, and a real
/// PaddleOCR model that runs the rows.
/// </summary>
public sealed class ImageFolderInputTests : InputFileTests
{
    private static readonly SKColor Red = new(255, 0, 0);
    private static readonly SKColor Green = new(0, 255, 0);
    private static readonly SKColor Blue = new(0, 0, 255);
    private static readonly SKColor White = new(255, 255, 255);

    [Test]
    public void Read_Folder_GivesImagesInNameOrderSkipsOtherFilesAndReportsUndecodableOnes()
    {
        WritePng("b.png", Solid(4, 4, Red));
        WritePng("A.PNG", Solid(4, 4, Green));
        Folder.Write("c.jpg", "not really a jpeg");
        WriteJpeg("d.jpeg", Solid(8, 8, Blue));
        Folder.Write("notes.txt", "ignored");
        WritePng(Path.Combine("sub", "e.png"), Solid(4, 4, White));

        using var input = Open(Input("x", TensorDataType.Fp32, -1, 3, 2, 2));
        var rows = ReadAll(input);

        Assert.That(input.Format, Is.EqualTo("images"));
        Assert.That(input.Count, Is.EqualTo(4));
        Assert.That(rows.Select(r => r.Key), Is.EqualTo(new[] { "A.PNG", "b.png", "c.jpg", "d.jpeg" }));
        Assert.That(rows.Select(r => r.Index), Is.EqualTo(new long[] { 0, 1, 2, 3 }));
        Assert.That(rows[0].Floats, Is.EqualTo(new float[] { 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0 }));
        Assert.That(rows[1].Shapes[0], Is.EqualTo(new long[] { 1, 3, 2, 2 }));
        Assert.That(rows[2].Error, Does.StartWith("c.jpg: not an image SkiaSharp can decode"));
        Assert.That(rows[3].Floats.Take(8), Has.All.LessThan(0.05f), "JPEG blue: no red, no green");
        Assert.That(rows[3].Floats.Skip(8), Has.All.GreaterThan(0.95f));
        Assert.That(ReadAll(input, fromIndex: 2).Select(r => r.Key), Is.EqualTo(new[] { "c.jpg", "d.jpeg" }));
    }

    [Test]
    public void Read_KnownPixelsNchw_GivesEachChannelAsAPlaneScaledTo01()
    {
        WritePng("p.png", Pixels(2, 2, Red, Green, Blue, new SKColor(10, 20, 30)));

        var row = ReadAll(Open(Input("x", TensorDataType.Fp32, -1, 3, 2, 2))).Single();

        Assert.That(row.Floats, Is.EqualTo(new[]
        {
            1, 0, 0, 10 / 255f,
            0, 1, 0, 20 / 255f,
            0, 0, 1, 30 / 255f,
        }).Within(1e-6));
    }

    [Test]
    public void Read_NhwcBgrWithMeanAndStd_OrdersAndNormalisesAsTheManifestSays()
    {
        WritePng("p.png", Pixels(2, 1, new SKColor(255, 128, 0), new SKColor(0, 64, 255)));
        var preprocessing = new ImagePreprocessing { Layout = "nhwc", Color = "bgr", Scale = 1, Mean = [100, 50, 0], Std = [2, 4, 1] };

        var row = ReadAll(Open(Input("x", TensorDataType.Fp32, -1, 1, 2, 3), preprocessing)).Single();

        Assert.That(row.Shapes[0], Is.EqualTo(new long[] { 1, 1, 2, 3 }));
        Assert.That(row.Floats, Is.EqualTo(new[]
        {
            (0 - 100) / 2f, (128 - 50) / 4f, 255,
            (255 - 100) / 2f, (64 - 50) / 4f, 0,
        }));
    }

    [Test]
    public void Read_GrayModelAndUint8Model_GetLumaAndRawPixels()
    {
        WritePng("p.png", Pixels(2, 1, new SKColor(200, 100, 50), White));

        var gray = ReadAll(Open(Input("x", TensorDataType.Fp32, -1, 1, 1, 2))).Single();
        var raw = ReadAll(Open(Input("x", TensorDataType.UInt8, -1, 1, 2, 3), new ImagePreprocessing { Layout = "nhwc" })).Single();

        Assert.That(gray.Floats, Is.EqualTo(new[] { ((0.299 * 200) + (0.587 * 100) + (0.114 * 50)) / 255, 1.0 }).Within(1e-6));
        Assert.That(raw.Data[0], Is.EqualTo(new byte[] { 200, 100, 50, 255, 255, 255 }));
    }

    [Test]
    public void Read_StretchToAnotherSize_FillsTheWholeTarget()
    {
        WritePng("p.png", Solid(3, 5, Green));

        var row = ReadAll(Open(Input("x", TensorDataType.UInt8, -1, 3, 8, 8))).Single();

        Assert.That(row.Data[0][..64], Has.All.EqualTo(0));
        Assert.That(row.Data[0][64..128], Has.All.EqualTo(255));
        Assert.That(row.Data[0][128..], Has.All.EqualTo(0));
    }

    [Test]
    public void Read_Letterbox_KeepsTheAspectRatioAndPadsAboveAndBelow()
    {
        WritePng("p.png", Solid(4, 2, Red));

        var row = ReadAll(Open(Input("x", TensorDataType.UInt8, -1, 3, 4, 4), new ImagePreprocessing { Resize = "letterbox", PadValue = 114 })).Single();

        var red = row.Data[0][..16];
        Assert.That(red, Is.EqualTo(new byte[] { 114, 114, 114, 114, 255, 255, 255, 255, 255, 255, 255, 255, 114, 114, 114, 114 }));
        Assert.That(row.Data[0][16..32], Is.EqualTo(new byte[] { 114, 114, 114, 114, 0, 0, 0, 0, 0, 0, 0, 0, 114, 114, 114, 114 }));
    }

    [Test]
    public void Read_Crop_FillsTheTargetFromTheCentre()
    {
        WritePng("p.png", Pixels(3, 1, Red, Green, Blue));

        var row = ReadAll(Open(Input("x", TensorDataType.UInt8, -1, 3, 1, 1), new ImagePreprocessing { Resize = "crop" })).Single();

        Assert.That(row.Data[0], Is.EqualTo(new byte[] { 0, 255, 0 }));
    }

    [Test]
    public void Read_LargeDownscale_AveragesThePixelsItCovers()
    {
        // A checkerboard of 4-pixel cells shrunk 21 times: sampling a few source pixels would give black or white; a
        // resize that averages what each target pixel covers gives grey.
        using var board = new SKBitmap(64, 64);
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                board.SetPixel(x, y, ((x / 4) + (y / 4)) % 2 == 0 ? SKColors.Black : SKColors.White);
            }
        }

        WritePng("board.png", board);

        var row = ReadAll(Open(Input("x", TensorDataType.Fp32, -1, 1, 3, 3))).Single();

        Assert.That(row.Floats, Has.All.InRange(0.3f, 0.7f));
    }

    [Test]
    public void Read_JpegWithExifOrientation_IsTurnedUpright()
    {
        // 16x8 stored, left half red and right half blue; EXIF orientation 6 says "rotate 90° clockwise to view", so the
        // upright image is 8x16 with red on top.
        using var stored = new SKBitmap(16, 8);
        using (var canvas = new SKCanvas(stored))
        {
            canvas.Clear(Blue);
            canvas.DrawRect(0, 0, 8, 8, new SKPaint { Color = Red });
        }

        Folder.Write("rotated.jpg", WithExifOrientation(Encode(stored, SKEncodedImageFormat.Jpeg), 6));

        var row = ReadAll(Open(Input("x", TensorDataType.UInt8, -1, 16, 8, 3), new ImagePreprocessing { Layout = "nhwc" })).Single();

        byte[] Pixel(int x, int y) => row.Data[0].AsSpan(((y * 8) + x) * 3, 3).ToArray();
        Assert.That(Pixel(4, 2)[0], Is.GreaterThan(200), "top is red");
        Assert.That(Pixel(4, 2)[2], Is.LessThan(60));
        Assert.That(Pixel(4, 13)[2], Is.GreaterThan(200), "bottom is blue");
        Assert.That(Pixel(4, 13)[0], Is.LessThan(60));
    }

    [Test]
    public void Read_ImageOverThePixelLimit_IsAnErrorRowBeforeDecoding()
    {
        // A PNG that claims 50000 x 50000 pixels in a few bytes: decoded, it would take 10 GB.
        using (var small = Solid(2, 2, Red))
        {
            Folder.Write("bomb.png", WithPngSize(Encode(small, SKEncodedImageFormat.Png), 50000, 50000));
        }

        WritePng("ok.png", Solid(4, 4, Green));

        var rows = ReadAll(Open(Input("x", TensorDataType.Fp32, -1, 3, 2, 2)));

        Assert.That(rows[0].Error, Is.EqualTo("bomb.png: 50000x50000 pixels is over the limit of 64 megapixels an image may decode to"));
        Assert.That(rows[1].Error, Is.Null);
        Assert.That(ImagePreprocessor.MaxPixels, Is.EqualTo(8192L * 8192));
    }

    [Test]
    public void DecodeSize_LargeJpeg_SmallestScaleStillCoveringTheTarget()
    {
        WriteJpeg("big.jpg", Solid(1600, 1200, Blue));
        WritePng("big.png", Solid(1600, 1200, Blue));
        var fixedSize = Input("x", TensorDataType.Fp32, -1, 3, 75, 100)[0];
        var dynamicSize = Input("x", TensorDataType.Fp32, -1, 3, -1, -1)[0];

        SKSizeI Size(string name, TensorMetadata input, ImagePreprocessing? settings = null)
        {
            using var codec = SKCodec.Create(Path.Combine(Folder.Path, name));
            return ImagePreprocessor.Create(input, settings).DecodeSize(codec);
        }

        Assert.That(Size("big.jpg", fixedSize), Is.EqualTo(new SKSizeI(200, 150)), "1/8 still has 2 pixels for each one of the 100x75 target");
        Assert.That(Size("big.png", fixedSize), Is.EqualTo(new SKSizeI(1600, 1200)), "a PNG decodes whole");
        Assert.That(Size("big.jpg", dynamicSize, new ImagePreprocessing { Width = 400, Height = 300 }), Is.EqualTo(new SKSizeI(400, 300)), "1/4 is exactly the target");
        Assert.That(Size("big.jpg", dynamicSize, new ImagePreprocessing { Width = 401, Height = 300 }), Is.EqualTo(new SKSizeI(600, 450)), "3/8: 1/4 would be a pixel short");
        Assert.That(Size("big.jpg", dynamicSize, new ImagePreprocessing { Width = 400, Height = 75, Resize = "crop" }), Is.EqualTo(new SKSizeI(400, 300)), "crop fills the target: the image is drawn 400x300");
        Assert.That(Size("big.jpg", dynamicSize, new ImagePreprocessing { Width = 400, Height = 75, Resize = "letterbox" }), Is.EqualTo(new SKSizeI(200, 150)), "letterbox fits it inside: drawn 100x75");
        Assert.That(Size("big.jpg", dynamicSize, new ImagePreprocessing { Width = 3200, Height = 2400 }), Is.EqualTo(new SKSizeI(1600, 1200)), "an upscale decodes whole");
    }

    [Test]
    public void Read_LargeJpegDecodedScaledDown_GivesWhatTheFullImageGives()
    {
        // A smooth gradient, so JPEG's own loss stays small; the PNG of the same pixels is decoded whole.
        using (var gradient = new SKBitmap(960, 720))
        {
            for (var y = 0; y < gradient.Height; y++)
            {
                for (var x = 0; x < gradient.Width; x++)
                {
                    gradient.SetPixel(x, y, new SKColor((byte)(x * 255 / 959), (byte)(y * 255 / 719), (byte)((x + y) * 255 / 1678)));
                }
            }

            Folder.Write("a.jpg", Encode(gradient, SKEncodedImageFormat.Jpeg));
            Folder.Write("b.png", Encode(gradient, SKEncodedImageFormat.Png));
        }

        var rows = ReadAll(Open(Input("x", TensorDataType.Fp32, -1, 3, 18, 24)));

        var differences = rows[0].Floats.Zip(rows[1].Floats, (jpeg, png) => Math.Abs(jpeg - png));
        Assert.That(differences.Max(), Is.LessThan(0.03f), "decoded at 1/8 and resized, the JPEG's pixels are the whole image's");
    }

    [Test]
    public void Read_LargeJpegWithExifOrientationDecodedScaledDown_IsTurnedUpright()
    {
        // As the test above with a smaller stored size: 256x128, left half red and right half blue, rotated to 128x256.
        using var stored = new SKBitmap(256, 128);
        using (var canvas = new SKCanvas(stored))
        {
            canvas.Clear(Blue);
            canvas.DrawRect(0, 0, 128, 128, new SKPaint { Color = Red });
        }

        Folder.Write("rotated.jpg", WithExifOrientation(Encode(stored, SKEncodedImageFormat.Jpeg), 6));
        var input = Input("x", TensorDataType.UInt8, -1, 16, 8, 3);
        var settings = new ImagePreprocessing { Layout = "nhwc" };

        var row = ReadAll(Open(input, settings)).Single();

        using (var codec = SKCodec.Create(Path.Combine(Folder.Path, "rotated.jpg")))
        {
            Assert.That(ImagePreprocessor.Create(input[0], settings).DecodeSize(codec), Is.EqualTo(new SKSizeI(32, 16)), "decoded at 1/8, still 2x the 16x8 the target needs");
        }

        byte[] Pixel(int x, int y) => row.Data[0].AsSpan(((y * 8) + x) * 3, 3).ToArray();
        Assert.That(Pixel(4, 2)[0], Is.GreaterThan(200), "top is red");
        Assert.That(Pixel(4, 2)[2], Is.LessThan(60));
        Assert.That(Pixel(4, 13)[2], Is.GreaterThan(200), "bottom is blue");
        Assert.That(Pixel(4, 13)[0], Is.LessThan(60));
    }

    [Test]
    public void Open_DynamicSizeWithoutManifestSize_ThrowsSayingWhatToSet()
    {
        WritePng("p.png", Solid(2, 2, Red));

        Assert.That(
            () => Open(Input("x", TensorDataType.Fp32, -1, 3, -1, -1)),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains("set preprocessing.image.width and height"));
        Assert.That(ReadAll(Open(Input("x", TensorDataType.Fp32, -1, 3, -1, -1), new ImagePreprocessing { Width = 5, Height = 3 })).Single().Shapes[0], Is.EqualTo(new long[] { 1, 3, 3, 5 }));
    }

    [TestCase(TensorDataType.Int64, new long[] { -1, 3, 2, 2 }, null, "images fill FP32 (normalised) or UINT8 (raw pixel) inputs")]
    [TestCase(TensorDataType.Fp32, new long[] { -1, 4 }, null, "images fill a rank-4 input")]
    [TestCase(TensorDataType.Fp32, new long[] { -1, 224, 224, 3 }, null, "set preprocessing.image.layout to nhwc")]
    [TestCase(TensorDataType.Fp32, new long[] { -1, 3, 2, 2 }, "gray", "preprocessing.image.color 'gray' gives 1")]
    public void Open_InputImagesCannotFill_Throws(TensorDataType type, long[] shape, string? color, string reason)
    {
        WritePng("p.png", Solid(2, 2, Red));

        Assert.That(
            () => Open(Input("x", type, shape), new ImagePreprocessing { Color = color }),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains(reason));
    }

    [Test]
    public void Open_FolderWithoutImages_Throws()
    {
        Folder.Write("readme.txt", "no images here");

        Assert.That(() => Open(Input("x", TensorDataType.Fp32, -1, 3, 2, 2)), Throws.InstanceOf<BatchInputException>().With.Message.Contains("no images in the folder"));
    }

    [Test]
    public void Fingerprint_ChangesWhenAnImageIsAdded()
    {
        WritePng("a.png", Solid(2, 2, Red));
        var inputs = Input("x", TensorDataType.Fp32, -1, 3, 2, 2);
        string before;
        using (var input = Open(inputs))
        {
            before = input.Fingerprint;
        }

        WritePng("b.png", Solid(2, 2, Red));
        using var after = Open(inputs);

        Assert.That(after.Fingerprint, Is.Not.EqualTo(before));
    }

    [Test]
    public void Read_GeneratedImagesForPaddleOcrDirectionClassifier_RunInTheRealModel()
    {
        var models = PretrainedModels.PaddleOcr();
        var random = new Random(7);
        foreach (var (width, height) in new[] { (192, 48), (300, 40), (64, 64), (500, 120), (90, 30) })
        {
            // A white strip with dark "glyph" bars, roughly what a cropped line of text looks like.
            using var strip = new SKBitmap(width, height);
            using (var canvas = new SKCanvas(strip))
            {
                canvas.Clear(White);
                using var ink = new SKPaint { Color = SKColors.Black };
                for (var x = 4; x < width - 8; x += random.Next(6, 14))
                {
                    canvas.DrawRect(x, height * 0.25f, random.Next(2, 6), height * 0.5f, ink);
                }
            }

            WritePng($"line-{width}x{height}.png", strip);
        }

        using var session = new ModelSessionFactory(new DeviceProfile { ExecutionProviders = ["CPU"] }, cacheDirectory: null, NullLogger<ModelSessionFactory>.Instance)
            .Create("ocr_cls", "1", Path.Combine(models, "ch_ppocr_mobile_v2.0_cls_infer.onnx"));
        // The model leaves height and width dynamic; PaddleOCR feeds it 48 x 192 text lines normalised to [-1, 1].
        Assert.That(session.Inputs.Single().Shape, Is.EqualTo(new long[] { -1, 3, -1, -1 }));
        var image = new ImagePreprocessing { Width = 192, Height = 48, Resize = "letterbox", PadValue = 255, Mean = [0.5], Std = [0.5] };
        var manifest = new ModelManifest { Preprocessing = new ModelPreprocessing { Image = image } };

        using var input = BatchInputs.Open(new BatchInputOptions { Path = Folder.Path }, session.Inputs, manifest);
        var rows = input.Read(0, CancellationToken.None).ToList();
        try
        {
            Assert.That(rows, Has.Count.EqualTo(5));
            Assert.That(rows.Select(r => r.Error), Has.All.Null);
            var single = new List<float[]>();
            foreach (var row in rows)
            {
                Assert.That(row.Inputs[0].Shape, Is.EqualTo(new long[] { 1, 3, 48, 192 }));
                using var response = session.Run(new InferenceRequest { Inputs = [Copy(row.Inputs[0])] }, "ocr_cls");
                var probabilities = MemoryFloats(response.Outputs[0]);
                Assert.That(probabilities, Has.Length.EqualTo(2));
                Assert.That(probabilities.Sum(), Is.EqualTo(1f).Within(1e-3), "the classifier's softmax over 0° and 180°");
                single.Add(probabilities);
            }

            // The rows stacked along the first dimension are one batched run with the same answers.
            var stacked = rows.SelectMany(r => r.Inputs[0].Data.ToArray()).ToArray();
            using var batched = session.Run(new InferenceRequest { Inputs = [new InferenceTensor("x", TensorDataType.Fp32, [rows.Count, 3, 48, 192], stacked)] }, "ocr_cls");
            Assert.That(MemoryFloats(batched.Outputs[0]), Is.EqualTo(single.SelectMany(p => p)).Within(1e-4));
        }
        finally
        {
            rows.ForEach(r => r.Dispose());
        }
    }

    private IBatchInput Open(IReadOnlyList<TensorMetadata> inputs, ImagePreprocessing? preprocessing = null) =>
        BatchInputs.Open(
            new BatchInputOptions { Path = Folder.Path },
            inputs,
            preprocessing is null ? null : new ModelManifest { Preprocessing = new ModelPreprocessing { Image = preprocessing } });

    private static InferenceTensor Copy(InferenceTensor tensor) => new(tensor.Name, tensor.DataType, tensor.Shape, tensor.Data.ToArray());

    private static float[] MemoryFloats(InferenceTensor tensor) => Floats(tensor.Data.ToArray());

    private static SKBitmap Solid(int width, int height, SKColor color)
    {
        var bitmap = new SKBitmap(width, height);
        bitmap.Erase(color);
        return bitmap;
    }

    private static SKBitmap Pixels(int width, int height, params SKColor[] pixels)
    {
        var bitmap = new SKBitmap(width, height);
        for (var i = 0; i < pixels.Length; i++)
        {
            bitmap.SetPixel(i % width, i / width, pixels[i]);
        }

        return bitmap;
    }

    private void WritePng(string name, SKBitmap bitmap)
    {
        using (bitmap)
        {
            Folder.Write(name, Encode(bitmap, SKEncodedImageFormat.Png));
        }
    }

    private void WriteJpeg(string name, SKBitmap bitmap)
    {
        using (bitmap)
        {
            Folder.Write(name, Encode(bitmap, SKEncodedImageFormat.Jpeg));
        }
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using var data = bitmap.Encode(format, 100);
        return data.ToArray();
    }

    /// <summary><paramref name="png"/> with the width and height in its header (IHDR) replaced, its checksum redone.</summary>
    private static byte[] WithPngSize(byte[] png, uint width, uint height)
    {
        // Signature (8 bytes), then the IHDR chunk: length (4), type (4), width, height, ..., CRC over type and data.
        var patched = png.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(patched.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(patched.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(patched.AsSpan(29), Crc32(patched.AsSpan(12, 17)));
        return patched;
    }

    /// <summary>The CRC-32 PNG chunks carry (ISO 3309, reflected polynomial 0xEDB88320).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>
    /// <paramref name="jpeg"/> with an EXIF (APP1) segment after its start marker that holds only the orientation tag, as
    /// a phone camera writes it for a picture taken sideways.
    /// </summary>
    private static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        var tiff = new byte[26];
        "II*\0"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(10), 0x0112);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(12), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(18), orientation);
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)(payload.Length + 2));
        return [.. jpeg[..2], 0xFF, 0xE1, .. length, .. payload, .. jpeg[2..]];
    }
}
