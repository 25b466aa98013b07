using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.Host.Tests.Publish;

/// <summary>
/// The linux-x64 publish profiles as a user runs them: <c>dotnet publish</c> with the profile (into a temporary
/// directory, beside nothing of the source tree's own build), then the published executable started and asked for
/// an inference. Each profile is published once per run: a trimmed build and a Native AOT compile take minutes.
/// </summary>
[Category("Publish")]
[NonParallelizable]
public sealed partial class PublishProfileTests
{
    private string _work = null!;

    [SetUp]
    public void CreateWorkDirectory() => _work = TestRepository.NewDataDirectory("publish");

    [TearDown]
    public void DeleteWorkDirectory() => TestRepository.Delete(_work);

    [TestCase("linux-x64")]
    [TestCase("linux-x64-aot")]
    public async Task Publish_LinuxX64Profile_ExecutableStartsAndServesTheDemoModel(string profile)
    {
        if (RuntimeInformation.RuntimeIdentifier != "linux-x64")
        {
            Assert.Ignore($"the {profile} profile runs only on linux-x64 (this is {RuntimeInformation.RuntimeIdentifier})");
        }

        var output = Path.Combine(_work, "publish");
        var (exitCode, log) = await PublishAsync(profile, output);

        Assert.That(exitCode, Is.Zero, log);
        Assert.That(WarningPattern().Matches(log).Select(m => m.Value), Is.Empty, "the publish has warnings:\n" + log);
        var natives = Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories)
            .Select(path => (File: Path.GetRelativePath(output, path), Format: NativeFormat(path)))
            .Where(file => file.Format is not null)
            .ToList();
        Assert.That(natives.Where(file => file.Format != "ELF x86-64"), Is.Empty, "natives for another platform");
        Assert.That(natives.Select(file => file.File), Does.Contain("edge-runtime").And.Contain("libonnxruntime.so"));

        await using var host = await EdgeRuntimeProcess.StartAsync(Path.Combine(_work, "data"), executable: Path.Combine(output, "edge-runtime"));
        await host.WaitReadyAsync();
        using var client = host.CreateClient();
        var (status, body) = await Oip.PostJsonAsync(client, "/v2/models/demo/infer", Oip.Fp32Request("input", [2, 4], [1, 2, 3, 4, 4, 3, 2, 1]));

        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        var probabilities = Oip.Floats(body!["outputs"]![0]!["data"]);
        Assert.That(probabilities, Has.Length.EqualTo(6));
        Assert.That(probabilities[2], Is.GreaterThan(0.9f), "[1,2,3,4] is 'rising'");
        Assert.That(probabilities[3], Is.GreaterThan(0.9f), "[4,3,2,1] is 'falling'");
    }

    /// <summary>Runs the documented publish command for <paramref name="profile"/>, building under the work directory.</summary>
    private async Task<(int ExitCode, string Log)> PublishAsync(string profile, string publishDirectory)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = SourceTree.Root,
        };
        string[] arguments =
        [
            "publish", Path.Combine(SourceTree.Root, "src", "EdgeRuntime.Host"),
            $"-p:PublishProfileFullPath={Path.Combine(SourceTree.Root, "publish-profiles", profile + ".pubxml")}",
            $"-p:PublishDir={publishDirectory}/",
            "--artifacts-path", Path.Combine(_work, "artifacts"),
            "--disable-build-servers", "-nologo",
        ];
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The tests run under `dotnet test`, whose MSBuild variables would steer the child build.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet publish");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        try
        {
            await process.WaitForExitAsync(hang.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"dotnet publish ({profile}) did not finish in 20 minutes:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>"ELF x86-64", "ELF aarch64", "PE", "Mach-O"... for a native binary; null for anything else.</summary>
    private static string? NativeFormat(string path)
    {
        Span<byte> header = stackalloc byte[20];
        using (var file = File.OpenRead(path))
        {
            if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            {
                return null;
            }
        }

        if (header[..4].SequenceEqual("\u007fELF"u8))
        {
            var machine = BitConverter.ToUInt16(header[18..20]);
            return machine switch { 62 => "ELF x86-64", 183 => "ELF aarch64", 40 => "ELF arm", _ => $"ELF machine {machine}" };
        }

        if (header[..2].SequenceEqual("MZ"u8))
        {
            return "PE";
        }

        var magic = BitConverter.ToUInt32(header[..4]);
        return magic is 0xFEEDFACF or 0xFEEDFACE or 0xBEBAFECA ? "Mach-O" : null;
    }

    [GeneratedRegex(@"warning [A-Z]+\d+")]
    private static partial Regex WarningPattern();
}
