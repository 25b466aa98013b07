namespace EdgeRuntime.Contracts.Packages;

/// <summary>
/// <c>manifest.sig</c>: who signed the manifest (<see cref="KeyId"/>, see <see cref="PackageKeys.KeyId"/>) and the signature,
/// base64 of the IEEE P1363 form, made with <see cref="Algorithm"/> (always <see cref="EdgePackageFormat.Algorithm"/>).
/// </summary>
public sealed record PackageSignature(string Algorithm, string KeyId, string Signature);
