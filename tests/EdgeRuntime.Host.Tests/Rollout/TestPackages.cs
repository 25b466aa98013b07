using System.IO.Compression;
using System.Text.Json.Nodes;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.Host.Tests.Rollout;

/// <summary>
/// Model packages for rollout tests, made the way an operator makes them: <c>edge-runtime package keygen</c> and
/// <c>package build</c> run as real processes; plus damaged copies (tampered, unsigned, zip-slip) made with ZipArchive.
/// </summary>
internal sealed class TestPackages
{
    private TestPackages(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>The trusted publisher's public key (PEM file) to give the device.</summary>
    public string PublicKey => Path.Combine(Directory, "publisher.pub.pem");

    public string PrivateKey => Path.Combine(Directory, "publisher.key.pem");

    /// <summary>A second key pair the device does not trust.</summary>
    public string StrangerKey => Path.Combine(Directory, "stranger.key.pem");

    public static async Task<TestPackages> CreateAsync(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var packages = new TestPackages(directory);
        await packages.RunAsync("package", "keygen", "--out", Path.Combine(directory, "publisher"));
        await packages.RunAsync("package", "keygen", "--out", Path.Combine(directory, "stranger"));
        return packages;
    }

    /// <summary>Builds a signed package of <paramref name="modelBytes"/> as <paramref name="name"/> <paramref name="version"/> with a generated smoke test.</summary>
    public async Task<string> BuildAsync(string name, int version, byte[] modelBytes, string? key = null, params string[] extra)
    {
        var modelDirectory = Path.Combine(Directory, $"src-{name}-{version}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(modelDirectory);
        await File.WriteAllBytesAsync(Path.Combine(modelDirectory, "model.onnx"), modelBytes);
        var output = Path.Combine(Directory, $"{name}-{version}-{Guid.NewGuid():N}.edgepkg");
        string[] signing = key is null ? ["--key", PrivateKey] : key == "" ? ["--unsigned"] : ["--key", key];
        await RunAsync(["package", "build", "--model-dir", modelDirectory, "--name", name, "--version", version.ToString(System.Globalization.CultureInfo.InvariantCulture), .. signing, .. extra, "--out", output]);
        return output;
    }

    /// <summary>A copy of <paramref name="package"/> whose entry <paramref name="entry"/> has one byte changed after signing.</summary>
    public string Tamper(string package, string entry)
    {
        var copy = CopyOf(package, "tampered");
        using var zip = ZipFile.Open(copy, ZipArchiveMode.Update);
        var original = zip.GetEntry(entry) ?? throw new InvalidOperationException($"no entry {entry}");
        byte[] bytes;
        using (var stream = original.Open())
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }

        if (entry == "manifest.json")
        {
            // A plausible forgery: a changed description, still valid JSON.
            var manifest = JsonNode.Parse(bytes)!.AsObject();
            manifest["description"] = "forged";
            bytes = System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString());
        }
        else
        {
            bytes[bytes.Length / 2] ^= 0x5A;
        }

        original.Delete();
        using var replaced = zip.CreateEntry(entry).Open();
        replaced.Write(bytes);
        return copy;
    }

    /// <summary>A copy of <paramref name="package"/> without its signature.</summary>
    public string Unsigned(string package)
    {
        var copy = CopyOf(package, "unsigned");
        using var zip = ZipFile.Open(copy, ZipArchiveMode.Update);
        zip.GetEntry("manifest.sig")?.Delete();
        return copy;
    }

    /// <summary>A copy of <paramref name="package"/> with an extra entry whose name climbs out of the target directory.</summary>
    public string ZipSlip(string package)
    {
        var copy = CopyOf(package, "zipslip");
        using var zip = ZipFile.Open(copy, ZipArchiveMode.Update);
        using var entry = zip.CreateEntry("../../escaped.txt").Open();
        entry.Write("owned"u8);
        return copy;
    }

    private string CopyOf(string package, string purpose)
    {
        var copy = Path.Combine(Directory, $"{Path.GetFileNameWithoutExtension(package)}-{purpose}.edgepkg");
        File.Copy(package, copy, overwrite: true);
        return copy;
    }

    private async Task RunAsync(params string[] args)
    {
        var result = await CommandProcess.RunAsync(Directory, args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"edge-runtime {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Output}\n{result.Error}");
        }
    }
}
