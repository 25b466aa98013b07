namespace EdgeRuntime.Contracts.Packages;

/// <summary>Why a package was refused; the exception's message says exactly what was wrong.</summary>
public enum PackageRejection
{
    /// <summary>Not a zip, or a corrupt one.</summary>
    Unreadable,

    /// <summary>No <c>manifest.json</c> entry.</summary>
    MissingManifest,

    /// <summary><c>manifest.json</c> is not valid JSON, or lacks the name, version or files, or lists a file badly.</summary>
    InvalidManifest,

    /// <summary>No <c>manifest.sig</c> and the trust does not allow unsigned packages.</summary>
    Unsigned,

    /// <summary>Signed by a key the trust does not hold.</summary>
    UnknownKey,

    /// <summary>The signature does not verify: the manifest was changed after signing, or <c>manifest.sig</c> is malformed.</summary>
    BadSignature,

    /// <summary>An entry or manifest path that is absolute, climbs out with <c>..</c>, or is otherwise not a plain relative path.</summary>
    UnsafePath,

    /// <summary>A symbolic link entry.</summary>
    Link,

    /// <summary>Two entries with the same name, also when they differ only in case, or a file where a directory is needed.</summary>
    DuplicateEntry,

    /// <summary>An entry the manifest does not list.</summary>
    UnlistedEntry,

    /// <summary>A file the manifest lists is not in the package.</summary>
    MissingFile,

    /// <summary>A file's size differs from the manifest's.</summary>
    SizeMismatch,

    /// <summary>A file's SHA-256 differs from the manifest's: it was changed after the manifest was made.</summary>
    HashMismatch,

    /// <summary>The package unpacks to more than the limit.</summary>
    TooLarge,

    /// <summary>An entry that is not a regular file: a directory, a device, a FIFO or a socket.</summary>
    NonRegularEntry,
}
