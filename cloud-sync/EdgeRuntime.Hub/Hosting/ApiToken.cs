using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace EdgeRuntime.Hub.Hosting;

/// <summary>
/// The bearer token of <c>/api/*</c>: <c>Hub:ApiToken</c> when set, else the one in <c>&lt;data&gt;/api-token</c>,
/// generated (32 random bytes, base64url, file mode 0600) on first start.
/// </summary>
internal sealed class ApiToken
{
    private readonly byte[] _expected;

    public ApiToken(HubOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ApiToken))
        {
            Value = options.ApiToken.Trim();
        }
        else
        {
            FilePath = Path.Combine(options.DataPath, "api-token");
            if (File.Exists(FilePath))
            {
                Value = File.ReadAllText(FilePath).Trim();
            }
            else
            {
                Directory.CreateDirectory(options.DataPath);
                Value = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
                var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var file = new FileStream(FilePath, fileOptions))
                {
                    file.Write(Encoding.UTF8.GetBytes(Value + "\n"));
                }

                Generated = true;
            }
        }

        _expected = SHA256.HashData(Encoding.UTF8.GetBytes(Value));
    }

    public string Value { get; }

    /// <summary>The token file, when the token is not configured.</summary>
    public string? FilePath { get; }

    /// <summary>True when this start created the token file.</summary>
    public bool Generated { get; }

    /// <summary>Constant-time check of an <c>Authorization</c> header value.</summary>
    public bool Accepts(string? authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(actual, _expected);
    }
}
