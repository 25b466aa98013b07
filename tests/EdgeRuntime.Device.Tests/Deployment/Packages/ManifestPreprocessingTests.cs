using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;

namespace EdgeRuntime.Device.Tests.Deployment.Packages;

/// <summary>The package rules for a manifest's <c>preprocessing.image</c>: sizes, words, mean and std.</summary>
public sealed class ManifestPreprocessingTests
{
    [Test]
    public void PreprocessingProblem_SensibleSettings_HasNone()
    {
        var image = new ImagePreprocessing { Width = 224, Height = 224, Resize = "crop", Layout = "nhwc", Color = "gray", Mean = [0.5], Std = [0.25], PadValue = 255 };

        Assert.That(EdgePackageFormat.PreprocessingProblem(new ModelPreprocessing { Image = image }), Is.Null);
        Assert.That(EdgePackageFormat.PreprocessingProblem(new ModelPreprocessing()), Is.Null);
        Assert.That(EdgePackageFormat.PreprocessingProblem(null), Is.Null);
    }

    [TestCase(0, null, null, null, "preprocessing.image.width is 0; it must be 1 to 16384")]
    [TestCase(20000, null, null, null, "preprocessing.image.width is 20000")]
    [TestCase(null, "squash", null, null, "preprocessing.image.resize 'squash' is not one of stretch, letterbox, crop")]
    [TestCase(null, null, "chw", null, "preprocessing.image.layout 'chw' is not one of nchw, nhwc")]
    [TestCase(null, null, null, "rgba", "preprocessing.image.color 'rgba' is not one of rgb, bgr, gray")]
    public void PreprocessingProblem_BadSizeOrWord_NamesTheField(int? width, string? resize, string? layout, string? color, string problem)
    {
        var image = new ImagePreprocessing { Width = width, Resize = resize, Layout = layout, Color = color };

        Assert.That(EdgePackageFormat.PreprocessingProblem(new ModelPreprocessing { Image = image }), Is.EqualTo(problem).Or.StartsWith(problem));
    }

    [Test]
    public void PreprocessingProblem_MeanOrStdOfTheWrongLengthOrAZeroStd_NamesTheValue()
    {
        static string? Problem(ImagePreprocessing image) => EdgePackageFormat.PreprocessingProblem(new ModelPreprocessing { Image = image });

        Assert.That(Problem(new ImagePreprocessing { Mean = [1, 2] }), Is.EqualTo("preprocessing.image.mean has 2 values; it needs 1 or 3 (one per rgb channel)"));
        Assert.That(Problem(new ImagePreprocessing { Color = "gray", Std = [1, 1, 1] }), Is.EqualTo("preprocessing.image.std has 3 values; it needs 1 (gray has one channel)"));
        Assert.That(Problem(new ImagePreprocessing { Std = [1, 0, 1] }), Is.EqualTo("preprocessing.image.std[1] is 0; it must be a finite number other than 0"));
        Assert.That(Problem(new ImagePreprocessing { Scale = -1 }), Is.EqualTo("preprocessing.image.scale is -1; it must be a positive number"));
        Assert.That(Problem(new ImagePreprocessing { PadValue = 256 }), Is.EqualTo("preprocessing.image.pad_value is 256; it must be 0 to 255"));
    }
}
