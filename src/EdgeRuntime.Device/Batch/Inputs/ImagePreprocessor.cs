using System.Buffers.Binary;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Device.Inference;
using SkiaSharp;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// Turns an image file into one row of a model's image input, as the manifest's <c>preprocessing.image</c> says (see
/// <see cref="ImagePreprocessing"/>): decode with SkiaSharp (the first frame of an animation; alpha dropped, as
/// converting to RGB does), turn upright by the EXIF orientation, resize, convert the colour, scale and normalise, and
/// lay out as NCHW or NHWC. Resizing samples bilinearly between the two nearest mipmap levels (Skia's linear filter with
/// linear mipmaps), so a large downscale averages the pixels it covers instead of skipping most of them. Gray is the
/// ITU-R BT.601 luma, <c>0.299 R + 0.587 G + 0.114 B</c>, as OpenCV and Pillow compute it. UINT8 inputs get the raw
/// 0-255 values (gray rounded), FP32 inputs <c>(value * scale - mean[c]) / std[c]</c>.
/// </summary>
internal sealed class ImagePreprocessor
{
    /// <summary>
    /// The most pixels an image may decode to (64 megapixels, 8192 x 8192; 256 MB as RGBA). The limit is checked from
    /// the header, before any pixel is decoded, so a small file that claims a huge size (a PNG of 50000 x 50000 is a few
    /// kilobytes) fails its own row instead of taking gigabytes. A JPEG counts at the reduced size it decodes at.
    /// </summary>
    public const long MaxPixels = 64L << 20;

    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    private readonly string _inputName;
    private readonly TensorDataType _dataType;
    private readonly int _width;
    private readonly int _height;
    private readonly int _channels;
    private readonly bool _nhwc;
    private readonly string _color;
    private readonly string _resize;
    private readonly double _scale;
    private readonly double[] _mean;
    private readonly double[] _std;
    private readonly byte _pad;

    private ImagePreprocessor(TensorMetadata input, ImagePreprocessing settings, int width, int height, int channels)
    {
        _inputName = input.Name;
        _dataType = input.DataType;
        _width = width;
        _height = height;
        _channels = channels;
        _nhwc = settings.Layout == "nhwc";
        _color = settings.Color ?? (channels == 1 ? "gray" : "rgb");
        _resize = settings.Resize ?? "stretch";
        _scale = settings.Scale ?? 1.0 / 255;
        _mean = PerChannel(settings.Mean, channels, 0);
        _std = PerChannel(settings.Std, channels, 1);
        _pad = (byte)(settings.PadValue ?? 0);
        Shape = _nhwc ? [1, height, width, channels] : [1, channels, height, width];
    }

    /// <summary>The shape of a row: <c>[1, C, H, W]</c> or <c>[1, H, W, C]</c>.</summary>
    public long[] Shape { get; }

    /// <summary>
    /// The preprocessing for <paramref name="input"/>: <paramref name="settings"/> (absent: the defaults) completed from the
    /// input's shape, which decides the channels and, where the manifest gives none, the width and height.
    /// </summary>
    /// <exception cref="BatchInputException">The input cannot take images, or the settings do not fit it, with the reason.</exception>
    public static ImagePreprocessor Create(TensorMetadata input, ImagePreprocessing? settings)
    {
        settings ??= new ImagePreprocessing();
        if (EdgePackageFormat.PreprocessingProblem(new ModelPreprocessing { Image = settings }) is { } problem)
        {
            throw new BatchInputException($"the model's manifest: {problem}");
        }

        var name = $"the model's input '{input.Name}'";
        if (input.DataType is not (TensorDataType.Fp32 or TensorDataType.UInt8))
        {
            throw new BatchInputException($"{name} is {input.DataType.ToWireName()}; images fill FP32 (normalised) or UINT8 (raw pixel) inputs");
        }

        if (input.DataType == TensorDataType.UInt8 && (settings.Scale is not null || settings.Mean is not null || settings.Std is not null))
        {
            throw new BatchInputException($"{name} is UINT8, which takes raw 0-255 pixels; preprocessing.image.scale, mean and std apply to FP32 inputs only");
        }

        var shape = input.Shape;
        var nhwc = settings.Layout == "nhwc";
        var layout = nhwc ? "nhwc" : "nchw";
        if (shape.Length != 4 || shape[0] > 1)
        {
            throw new BatchInputException($"{name} has shape {InferenceTensor.FormatShape(shape)}; images fill a rank-4 input with a dynamic first dimension, [-1,C,H,W] (nchw) or [-1,H,W,C] (nhwc)");
        }

        var (c, h, w) = nhwc ? (shape[3], shape[1], shape[2]) : (shape[1], shape[2], shape[3]);
        var channels = settings.Color switch
        {
            "gray" => 1,
            null when c == 1 => 1,
            null when c is 3 or < 0 => 3,
            null => throw new BatchInputException(
                $"{name} has shape {InferenceTensor.FormatShape(shape)}, {c} channels as {layout}; images give 1 (gray) or 3 (rgb, bgr){(nhwc ? "" : "; if the channels come last, set preprocessing.image.layout to nhwc")}"),
            _ => 3,
        };
        if (c >= 0 && c != channels)
        {
            throw new BatchInputException($"{name} has {c} channels as {layout} (shape {InferenceTensor.FormatShape(shape)}), but preprocessing.image.color '{settings.Color}' gives {channels}");
        }

        var width = Size(settings.Width, w, "width", name, shape);
        var height = Size(settings.Height, h, "height", name, shape);
        return new ImagePreprocessor(input, settings, width, height, channels);
    }

    /// <summary>The row tensor for the image at <paramref name="path"/>, or why there is none (named by <paramref name="key"/>).</summary>
    public (InferenceTensor? Tensor, string? Error) Load(string path, string key)
    {
        using var codec = SKCodec.Create(path, out var result);
        if (codec is null)
        {
            return (null, $"{key}: not an image SkiaSharp can decode ({result})");
        }

        var size = DecodeSize(codec);
        var scaled = size != codec.Info.Size ? $", {size.Width}x{size.Height} as decoded" : "";
        if ((long)size.Width * size.Height > MaxPixels)
        {
            return (null, $"{key}: {codec.Info.Width}x{codec.Info.Height} pixels{scaled} is over the limit of {MaxPixels >> 20} megapixels an image may decode to");
        }

        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap();
        if (!decoded.TryAllocPixels(info))
        {
            return (null, $"{key}: {codec.Info.Width}x{codec.Info.Height} pixels{scaled} is too large to decode");
        }

        result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success)
        {
            return (null, $"{key}: the image does not decode ({result})");
        }

        // The decoded pixels seen as opaque: alpha is dropped, not blended with a background.
        using var image = SKImage.FromPixels(info.WithAlphaType(SKAlphaType.Opaque), decoded.GetPixels(), decoded.RowBytes);
        using var target = new SKBitmap(new SKImageInfo(_width, _height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(target))
        {
            canvas.Clear(new SKColor(_pad, _pad, _pad));
            // Placed by the full size, the decoded pixels stretched over it: the geometry is the same at every decode scale.
            var full = codec.Info.Size;
            canvas.SetMatrix(Placement(codec.EncodedOrigin, full.Width, full.Height)
                .PreConcat(SKMatrix.CreateScale((float)full.Width / size.Width, (float)full.Height / size.Height)));
            canvas.DrawImage(image, 0, 0, Sampling);
        }

        return (Tensor(target.GetPixelSpan(), target.RowBytes), null);
    }

    /// <summary>
    /// The size to decode <paramref name="codec"/>'s image at. A JPEG decodes at k/8 of its size (k = 1..8) in the DCT,
    /// for a fraction of the memory and time: the smallest k whose size still has at least the pixels the image covers
    /// in the target, so resizing stays a downscale. Other formats decode at their full size.
    /// </summary>
    internal SKSizeI DecodeSize(SKCodec codec)
    {
        var full = codec.Info.Size;
        if (codec.EncodedFormat != SKEncodedImageFormat.Jpeg)
        {
            return full;
        }

        var (placedWidth, placedHeight) = Placed(codec.EncodedOrigin, full.Width, full.Height);
        var (neededWidth, neededHeight) = SwapsAxes(codec.EncodedOrigin) ? (placedHeight, placedWidth) : (placedWidth, placedHeight);

        // Skia rounds a scale to the nearest eighth, so each eighth is asked for exactly.
        for (var eighths = 1; eighths < 8; eighths++)
        {
            var size = codec.GetScaledDimensions(eighths / 8f);
            if (size.Width >= neededWidth && size.Height >= neededHeight && size.Width <= full.Width && size.Height <= full.Height)
            {
                return size;
            }
        }

        return full;
    }

    private static int Size(int? given, long dimension, string what, string name, long[] shape)
    {
        if (given is { } size)
        {
            return dimension < 0 || dimension == size
                ? size
                : throw new BatchInputException($"{name} has shape {InferenceTensor.FormatShape(shape)}, {what} {dimension}, but preprocessing.image.{what} is {size}");
        }

        return dimension >= 0
            ? (int)dimension
            : throw new BatchInputException(
                $"{name} has shape {InferenceTensor.FormatShape(shape)}, whose {what} is dynamic; set preprocessing.image.width and height in the model's manifest.json to the size images are resized to");
    }

    private static double[] PerChannel(IReadOnlyList<double>? values, int channels, double fallback) =>
        [.. Enumerable.Range(0, channels).Select(c => values is null ? fallback : values[values.Count == 1 ? 0 : c])];

    /// <summary>Maps the encoded pixels onto the target: upright by <paramref name="origin"/>, then resized and placed.</summary>
    private SKMatrix Placement(SKEncodedOrigin origin, int width, int height)
    {
        // Where each encoded pixel lands in the upright image (EXIF orientations 2-8).
        float w = width, h = height;
        var upright = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
            _ => SKMatrix.Identity,
        };
        if (SwapsAxes(origin))
        {
            (w, h) = (h, w);
        }

        var (placedWidth, placedHeight) = Placed(origin, width, height);
        var left = (float)Math.Floor((_width - placedWidth) / 2.0);
        var top = (float)Math.Floor((_height - placedHeight) / 2.0);
        return SKMatrix.CreateScaleTranslation(placedWidth / w, placedHeight / h, left, top).PreConcat(upright);
    }

    /// <summary>
    /// The size the upright image takes in the target: all of it for stretch; for letterbox (the whole image inside,
    /// padding the rest) and crop (filling the target, cutting the overflow) the aspect ratio kept, rounded to whole
    /// pixels so the edges are sharp.
    /// </summary>
    private (int Width, int Height) Placed(SKEncodedOrigin origin, int width, int height)
    {
        float w = width, h = height;
        if (SwapsAxes(origin))
        {
            (w, h) = (h, w);
        }

        if (_resize == "stretch")
        {
            return (_width, _height);
        }

        var scale = _resize == "letterbox" ? Math.Min(_width / w, _height / h) : Math.Max(_width / w, _height / h);
        return (Math.Max(1, (int)MathF.Round(w * scale)), Math.Max(1, (int)MathF.Round(h * scale)));
    }

    /// <summary>Whether the EXIF orientation turns the image by a quarter, so its width becomes its height.</summary>
    private static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    private InferenceTensor Tensor(ReadOnlySpan<byte> pixels, int rowBytes)
    {
        var channels = _channels;
        var planeSize = _width * _height;
        var elementSize = _dataType.ElementSize();
        var buffer = new PooledBuffer(planeSize * channels * elementSize);
        var data = buffer.GetSpan(planeSize * channels * elementSize)[..(planeSize * channels * elementSize)];
        Span<double> values = stackalloc double[3];
        for (var y = 0; y < _height; y++)
        {
            var row = pixels.Slice(y * rowBytes, _width * 4);
            for (var x = 0; x < _width; x++)
            {
                var pixel = row.Slice(x * 4, 3);
                Channel(pixel, values);
                var at = (y * _width) + x;
                for (var c = 0; c < channels; c++)
                {
                    var element = _nhwc ? (at * channels) + c : (c * planeSize) + at;
                    if (_dataType == TensorDataType.UInt8)
                    {
                        data[element] = (byte)Math.Clamp(Math.Round(values[c]), 0, 255);
                    }
                    else
                    {
                        var value = (float)(((values[c] * _scale) - _mean[c]) / _std[c]);
                        BinaryPrimitives.WriteSingleLittleEndian(data[(element * 4)..], value);
                    }
                }
            }
        }

        buffer.Advance(data.Length);
        return new InferenceTensor(_inputName, _dataType, [.. Shape], buffer.WrittenMemory, buffer);
    }

    /// <summary>The pixel's channel values (0-255) in the model's colour order.</summary>
    private void Channel(ReadOnlySpan<byte> rgb, Span<double> values)
    {
        switch (_color)
        {
            case "gray":
                values[0] = (0.299 * rgb[0]) + (0.587 * rgb[1]) + (0.114 * rgb[2]);
                break;
            case "bgr":
                (values[0], values[1], values[2]) = (rgb[2], rgb[1], rgb[0]);
                break;
            default:
                (values[0], values[1], values[2]) = (rgb[0], rgb[1], rgb[2]);
                break;
        }
    }
}
