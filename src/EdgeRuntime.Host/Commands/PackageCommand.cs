using System.Security.Cryptography;
using System.Text;
using EdgeRuntime.Contracts.Packages;

namespace EdgeRuntime.Host.Commands;

/// <summary>
/// <c>edge-runtime package</c>: makes signing keys, builds signed model packages (<c>.edgepkg</c>) from a model
/// directory, and verifies or shows packages, with exactly the checks a device applies.
/// </summary>
internal static class PackageCommand
{
    public const string Name = "package";

    public const string Usage = """
        usage: edge-runtime package <verb> ...

          keygen --out PATH_PREFIX
              writes PATH_PREFIX.key.pem (private, mode 0600: signs packages) and PATH_PREFIX.pub.pem (public:
              devices trust it through EdgeRuntime:Packages:TrustedKeys); prints the key id

          build --model-dir DIR --name NAME --version N (--key KEY.pem | --unsigned) --out FILE.edgepkg
                [--baseline FILE.json] [--smoke-input FILE.json | --no-smoke-test] [--preprocessing FILE.json]
                [--description TEXT] [--quantization TEXT]
              packs every file under DIR (which must hold model.onnx) with a manifest of their sizes and SHA-256,
              the model's inputs and outputs, its quantization, a drift baseline (as 'edge-runtime baseline'
              writes it) and a smoke test: by default generated inputs (seeded, dynamic dimensions 1) and the
              outputs this machine's CPU gives for them; --smoke-input gives the inputs (a JSON list of
              {"name", "datatype", "shape", "data"}); --preprocessing says how batch jobs turn images into the
              input, as {"image": {"width", "height", "resize" (stretch|letterbox|crop), "layout" (nchw|nhwc),
              "color" (rgb|bgr|gray), "scale", "mean", "std", "pad_value"}}. DIR/manifest.json, when there,
              contributes description, labels, quantization, drift_baseline and preprocessing (options win)

          verify --trust PUB.pem [--trust PUB.pem ...] [--allow-unsigned] FILE.edgepkg
              checks the package as a device does (structure, signature, every file's size and SHA-256); exit
              code 1 with 'refused: <reason>' when it fails

          inspect FILE.edgepkg
              prints manifest.json as it is in the package, without checking anything; says on stderr whether
              and by which key it is signed
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args is ["--help"] or ["-h"])
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }

        if (args.Length == 0)
        {
            throw new CommandException($"a verb is required\n{Usage}");
        }

        var rest = args[1..];
        return args[0] switch
        {
            "keygen" => await KeygenAsync(CommandOptions.Parse(rest, Usage, ["--out"], []), output).ConfigureAwait(false),
            "build" => await PackageBuild.RunAsync(CommandOptions.Parse(rest, Usage, PackageBuild.ValuedOptions, PackageBuild.Flags), output).ConfigureAwait(false),
            "verify" => await VerifyAsync(CommandOptions.Parse(rest, Usage, ["--trust"], ["--allow-unsigned"]), output, error).ConfigureAwait(false),
            "inspect" => await InspectAsync(CommandOptions.Parse(rest, Usage, [], []), output, error).ConfigureAwait(false),
            var other => throw new CommandException($"unknown verb '{other}'\n{Usage}"),
        };
    }

    /// <summary>Loads a key file given on the command line; problems name the option and the file.</summary>
    public static ECDsa LoadKey(string option, string path)
    {
        try
        {
            return PackageKeys.Load(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException)
        {
            throw new CommandException($"{option} {path}: {ex.Message}", ex);
        }
    }

    private static async Task<int> KeygenAsync(CommandOptions options, TextWriter output)
    {
        var prefix = Path.GetFullPath(options.Required("--out"));
        var privatePath = prefix + ".key.pem";
        var publicPath = prefix + ".pub.pem";
        foreach (var path in new[] { privatePath, publicPath })
        {
            if (File.Exists(path))
            {
                throw new CommandException($"{path} exists; a key is never overwritten (choose another --out or remove it)");
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(prefix)!);
        using var key = PackageKeys.Generate();
        PackageKeys.WritePrivatePem(key, privatePath);
        await File.WriteAllTextAsync(publicPath, PackageKeys.ExportPublicPem(key), Encoding.ASCII).ConfigureAwait(false);
        await output.WriteLineAsync($"""
            key id:      {PackageKeys.KeyId(key)}
            private key: {privatePath} (keep it secret: it signs packages)
            public key:  {publicPath} (devices trust it through EdgeRuntime:Packages:TrustedKeys)
            """).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> VerifyAsync(CommandOptions options, TextWriter output, TextWriter error)
    {
        var package = options.SinglePositional("FILE.edgepkg");
        var trustFiles = options.Values("--trust");
        var allowUnsigned = options.Has("--allow-unsigned");
        if (trustFiles.Count == 0 && !allowUnsigned)
        {
            throw new CommandException($"--trust PUB.pem is required (or --allow-unsigned to accept unsigned packages only)\n{Usage}");
        }

        var keys = trustFiles.Select(file => LoadKey("--trust", file)).ToList();
        PackageTrust trust;
        try
        {
            trust = PackageTrust.FromPublicKeys(keys, allowUnsigned);
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }

        VerifiedPackage verified;
        try
        {
            verified = EdgePackageReader.Verify(package, trust);
        }
        catch (PackageRejectedException ex)
        {
            await error.WriteLineAsync($"refused: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        var manifest = verified.Manifest;
        var text = new StringBuilder()
            .AppendLine($"verified:   {package}")
            .AppendLine($"model:      {manifest.Name} version {manifest.Version}")
            .AppendLine($"signed by:  {verified.KeyId ?? "nobody (unsigned, allowed by --allow-unsigned)"}")
            .AppendLine($"files:      {manifest.Files!.Count}, {verified.UnpackedBytes} bytes unpacked");
        foreach (var file in manifest.Files!)
        {
            text.AppendLine($"  {file.Path}  {file.Size} bytes  sha256 {file.Sha256}");
        }

        text.AppendLine($"smoke test: {(manifest.SmokeTest is { } smoke ? $"yes ({smoke.Inputs.Count} input(s), {smoke.Expected.Count} expected output(s))" : "no")}");
        await output.WriteAsync(text.ToString()).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> InspectAsync(CommandOptions options, TextWriter output, TextWriter error)
    {
        var package = options.SinglePositional("FILE.edgepkg");
        PackageContents contents;
        try
        {
            contents = EdgePackageReader.ReadUnverified(package);
        }
        catch (PackageRejectedException ex)
        {
            await error.WriteLineAsync($"refused: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        await output.WriteLineAsync(Encoding.UTF8.GetString(contents.ManifestBytes).TrimEnd()).ConfigureAwait(false);
        await error.WriteLineAsync(
            contents.Signature is { } signature ? $"signed by key {signature.KeyId} ({signature.Algorithm}); not checked here: use 'package verify --trust' for that"
            : contents.Entries.Contains(EdgePackageFormat.SignatureEntry) ? "manifest.sig is there but is not a signature document"
            : "unsigned (no manifest.sig)").ConfigureAwait(false);
        if (contents.Manifest is null)
        {
            await error.WriteLineAsync("manifest.json is not valid JSON").ConfigureAwait(false);
            return 1;
        }

        return 0;
    }
}
