namespace EdgeRuntime.Contracts.Packages;

/// <summary>A file to put into a package: its path inside the package (<c>/</c>-separated, relative) and where to read it.</summary>
public sealed record PackageFile(string EntryPath, string SourcePath);
