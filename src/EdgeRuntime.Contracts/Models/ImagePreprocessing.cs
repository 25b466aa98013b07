using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Models;

/// <summary>
/// How an image becomes the model's input tensor (manifest <c>preprocessing</c>), for batch jobs over a folder of images:
/// decode, convert to <see cref="Color"/>, resize to <see cref="Width"/> × <see cref="Height"/> by <see cref="Resize"/>,
/// then per channel <c>value = (pixel * scale - mean[c]) / std[c]</c>, laid out as <see cref="Layout"/>.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>The largest <see cref="Width"/> and <see cref="Height"/> a manifest may give.</summary>
    public const int MaxSize = 16384;

    /// <summary>The words <see cref="Resize"/> takes.</summary>
    public static IReadOnlyList<string> ResizeModes { get; } = ["stretch", "letterbox", "crop"];

    /// <summary>The words <see cref="Layout"/> takes.</summary>
    public static IReadOnlyList<string> Layouts { get; } = ["nchw", "nhwc"];

    /// <summary>The words <see cref="Color"/> takes.</summary>
    public static IReadOnlyList<string> Colors { get; } = ["rgb", "bgr", "gray"];

    /// <summary>The model input the image fills; absent, the model's only input.</summary>
    public string? Input { get; init; }

    /// <summary>Target width in pixels; absent, the input's fixed width dimension.</summary>
    public int? Width { get; init; }

    /// <summary>Target height in pixels; absent, the input's fixed height dimension.</summary>
    public int? Height { get; init; }

    /// <summary><c>stretch</c> (default: scale to exactly width × height), <c>letterbox</c> (fit inside, pad with <see cref="PadValue"/>) or <c>crop</c> (fill, centre-crop).</summary>
    public string? Resize { get; init; }

    /// <summary><c>nchw</c> (default) or <c>nhwc</c>.</summary>
    public string? Layout { get; init; }

    /// <summary><c>rgb</c> (default), <c>bgr</c> or <c>gray</c>.</summary>
    public string? Color { get; init; }

    /// <summary>Multiplies each 0–255 pixel value first; default 1/255.</summary>
    public double? Scale { get; init; }

    /// <summary>Subtracted per channel after scaling; default 0. One value, or one per channel.</summary>
    public IReadOnlyList<double>? Mean { get; init; }

    /// <summary>Divides per channel after the mean; default 1. One value, or one per channel.</summary>
    public IReadOnlyList<double>? Std { get; init; }

    /// <summary>The pixel value (0–255) letterbox padding gets; default 0.</summary>
    [JsonPropertyName("pad_value")]
    public int? PadValue { get; init; }
}

/// <summary>What a model version expects done to raw data before it sees it (manifest <c>preprocessing</c>).</summary>
public sealed record ModelPreprocessing
{
    /// <summary>For image inputs (batch jobs over a folder of images).</summary>
    public ImagePreprocessing? Image { get; init; }
}
