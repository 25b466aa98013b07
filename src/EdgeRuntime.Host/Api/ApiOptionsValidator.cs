using System.Net;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Host.Api;

/// <summary>
/// Refuses settings that would expose the device: any non-loopback listen address needs https and an
/// access token (and <c>AllowRemote</c>); every failure names its key.
/// </summary>
internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        if (options.MaxRequestBodyBytes <= 0)
        {
            failures.Add($"{ApiOptions.SectionName}:MaxRequestBodyBytes: {options.MaxRequestBodyBytes} must be positive");
        }

        foreach (var url in options.Urls)
        {
            if (url.StartsWith("http://unix:", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://unix:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                failures.Add($"urls: '{url}' is not a valid address");
                continue;
            }

            if (IsLoopback(uri.Host))
            {
                continue;
            }

            if (!options.AllowRemote)
            {
                failures.Add($"urls: '{url}' is not a loopback address; EdgeRuntime serves local apps on 127.0.0.1, ::1 or a Unix socket. Set {ApiOptions.SectionName}:AllowRemote=true, with https and {ApiOptions.SectionName}:AccessToken, to listen beyond this device");
            }
            else if (uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(options.AccessToken))
            {
                failures.Add($"urls: '{url}' is not a loopback address, so it needs https and {ApiOptions.SectionName}:AccessToken");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static bool IsLoopback(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }
}
