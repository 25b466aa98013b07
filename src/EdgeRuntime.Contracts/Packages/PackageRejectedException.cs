namespace EdgeRuntime.Contracts.Packages;

/// <summary>A package failed a check; <see cref="Rejection"/> says which kind and the message exactly what, e.g.
/// <c>entry '../../etc/passwd' escapes the package (path traversal)</c>.</summary>
public sealed class PackageRejectedException : Exception
{
    public PackageRejectedException(PackageRejection rejection, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Rejection = rejection;
    }

    public PackageRejection Rejection { get; }
}
