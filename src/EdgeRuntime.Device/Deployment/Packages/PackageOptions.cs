namespace EdgeRuntime.Device.Deployment.Packages;

/// <summary>
/// Which model packages the device accepts (section <c>EdgeRuntime:Packages</c>): signed by one of <see cref="TrustedKeys"/>,
/// or unsigned when <see cref="AllowUnsigned"/> is on, and unpacking to at most <see cref="MaxUnpackedBytes"/>.
/// </summary>
public sealed class PackageOptions
{
    public const string SectionName = "EdgeRuntime:Packages";

    /// <summary>
    /// Public keys (ECDSA P-256) whose packages are accepted, each either PEM text or the path of a <c>.pem</c> file
    /// (relative paths against the working directory), e.g. the hub's <c>signing-key.pub.pem</c>.
    /// </summary>
    public List<string> TrustedKeys { get; set; } = [];

    /// <summary>Accept packages without a signature; for development only. A signed package must still verify.</summary>
    public bool AllowUnsigned { get; set; }

    /// <summary>Largest total a package may unpack to, counted as it is decompressed (zip bombs stop there).</summary>
    public long MaxUnpackedBytes { get; set; } = 2L << 30;
}
