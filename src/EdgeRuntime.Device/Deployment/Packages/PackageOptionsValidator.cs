using System.Security.Cryptography;
using EdgeRuntime.Contracts.Packages;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment.Packages;

/// <summary>Checks <see cref="PackageOptions"/> at start: every trusted key must load as a P-256 public key; each failure names its key.</summary>
internal sealed class PackageOptionsValidator : IValidateOptions<PackageOptions>
{
    public ValidateOptionsResult Validate(string? name, PackageOptions options)
    {
        const string Section = PackageOptions.SectionName;
        var failures = new List<string>();
        for (var i = 0; i < options.TrustedKeys.Count; i++)
        {
            var entry = options.TrustedKeys[i];
            if (string.IsNullOrWhiteSpace(entry))
            {
                failures.Add($"{Section}:TrustedKeys:{i}: is empty; give PEM text or the path of a .pem file");
                continue;
            }

            try
            {
                using var key = PackageKeys.Load(entry);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException)
            {
                failures.Add($"{Section}:TrustedKeys:{i}: {ex.Message}");
            }
        }

        if (options.MaxUnpackedBytes <= 0)
        {
            failures.Add($"{Section}:MaxUnpackedBytes: {options.MaxUnpackedBytes} must be positive");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
