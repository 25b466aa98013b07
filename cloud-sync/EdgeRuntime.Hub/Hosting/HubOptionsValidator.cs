using System.Net;
using System.Security.Cryptography;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Contracts.Sync;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Hosting;

/// <summary>Checks <see cref="HubOptions"/> at start; every message names the configuration key.</summary>
internal sealed class HubOptionsValidator : IValidateOptions<HubOptions>
{
    public ValidateOptionsResult Validate(string? name, HubOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Hub:DataDirectory must not be empty");
        }

        if (options.ApiToken is { } token && token.Trim().Length < 16)
        {
            failures.Add("Hub:ApiToken must be at least 16 characters when set");
        }

        var broker = options.Broker;
        if (broker.Port is < 0 or > 65535)
        {
            failures.Add($"Hub:Broker:Port must be between 0 and 65535 (was {broker.Port})");
        }

        if (broker.Mode == BrokerMode.Embedded)
        {
            if (!IPAddress.TryParse(broker.Address, out var address))
            {
                failures.Add($"Hub:Broker:Address must be an IP address (was '{broker.Address}')");
            }
            else if (!IPAddress.IsLoopback(address) && !options.AllowRemote)
            {
                failures.Add($"Hub:Broker:Address {broker.Address} is not loopback; set Hub:AllowRemote=true to listen beyond this machine");
            }
        }
        else
        {
            if (string.IsNullOrWhiteSpace(broker.Host))
            {
                failures.Add("Hub:Broker:Host must be set in External mode");
            }

            if (broker.Port == 0)
            {
                failures.Add("Hub:Broker:Port must name the external broker's port");
            }

            if (broker.ClientId is { } clientId && string.IsNullOrWhiteSpace(clientId))
            {
                failures.Add("Hub:Broker:ClientId must not be blank");
            }
        }

        if (broker.SessionExpirySeconds < 0)
        {
            failures.Add("Hub:Broker:SessionExpirySeconds must not be negative");
        }

        if (options.Retraining.WebhookUrl is { Length: > 0 } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"Hub:Retraining:WebhookUrl must be an absolute http(s) URL (was '{url}')");
        }

        if (options.Artifacts.MaxBytes <= 0)
        {
            failures.Add("Hub:Artifacts:MaxBytes must be positive");
        }

        if (options.Artifacts.ChunkBytes is <= 0 or > SyncProtocol.MaxChunkBytes)
        {
            failures.Add($"Hub:Artifacts:ChunkBytes must be between 1 and {SyncProtocol.MaxChunkBytes}");
        }

        if (options.Artifacts.MaxUnpackedBytes <= 0)
        {
            failures.Add("Hub:Artifacts:MaxUnpackedBytes must be positive");
        }

        if (options.Signing.KeyFile is { } keyFile && string.IsNullOrWhiteSpace(keyFile))
        {
            failures.Add("Hub:Signing:KeyFile must not be blank when set");
        }

        var publishers = options.Signing.TrustedPublisherKeys;
        for (var i = 0; i < publishers.Count; i++)
        {
            try
            {
                using var key = PackageKeys.Load(publishers[i]);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or ArgumentException)
            {
                failures.Add($"Hub:Signing:TrustedPublisherKeys:{i}: {ex.Message}");
            }
        }

        if (options.Signing.RequirePublisherSignature && publishers.Count == 0)
        {
            failures.Add("Hub:Signing:RequirePublisherSignature is on but Hub:Signing:TrustedPublisherKeys is empty: every upload would be refused");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
