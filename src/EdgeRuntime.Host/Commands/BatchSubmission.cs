using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Host.Api;

namespace EdgeRuntime.Host.Commands;

/// <summary>
/// <c>edge-runtime batch --submit</c>: hands the job to the running host through its local API, and with <c>--wait</c>
/// follows it there until it ends. The host runs it at its lower batch priority and resumes it after a restart.
/// </summary>
internal sealed class BatchSubmission
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private readonly Uri _baseAddress;
    private readonly string? _token;

    public BatchSubmission(IConfiguration configuration, string? url, string? token)
    {
        var address = url ?? ConfiguredUrl(configuration) ?? ApiOptions.DefaultUrl;
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CommandException($"--url {address}: expected an http(s) address such as {ApiOptions.DefaultUrl}");
        }

        _baseAddress = uri;
        _token = token ?? NonEmpty(configuration[$"{ApiOptions.SectionName}:{nameof(ApiOptions.AdminToken)}"])
            ?? NonEmpty(configuration[$"{ApiOptions.SectionName}:{nameof(ApiOptions.AccessToken)}"]);
    }

    public async Task<int> RunAsync(BatchJobRequest request, bool wait, bool json, TextWriter output, TextWriter error, BatchCommand.Interrupt interrupt)
    {
        try
        {
            return await SubmitAsync(request, wait, json, output, error, interrupt).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"edge-runtime batch: no edge-runtime host answers at {_baseAddress}: {ex.Message}").ConfigureAwait(false);
            return BatchCommand.FailedExitCode;
        }
        catch (InvalidDataException ex)
        {
            await error.WriteLineAsync($"edge-runtime batch: {ex.Message}").ConfigureAwait(false);
            return BatchCommand.FailedExitCode;
        }
    }

    private async Task<int> SubmitAsync(BatchJobRequest request, bool wait, bool json, TextWriter output, TextWriter error, BatchCommand.Interrupt interrupt)
    {
        using var client = new HttpClient { BaseAddress = _baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (_token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        using var content = new StringContent(JsonSerializer.Serialize(request, ContractsJsonContext.Default.BatchJobRequest), Encoding.UTF8, "application/json");
        var submitted = await SendAsync(client, HttpMethod.Post, "/v2/edge/batch/jobs", content, interrupt.Token).ConfigureAwait(false);
        if (!wait)
        {
            await output.WriteLineAsync(json
                ? JsonSerializer.Serialize(submitted, ContractsJsonContext.Default.BatchJobStatus)
                : $"{submitted.State} {submitted.Id} on {_baseAddress}: model {submitted.Model}, {submitted.Input} -> {submitted.Output}").ConfigureAwait(false);
            return 0;
        }

        BatchJobStatus? latest = submitted;
        var job = PollAsync(client, submitted, status => Volatile.Write(ref latest, status), interrupt.Token);
        BatchJobStatus final;
        try
        {
            final = await BatchProgressDisplay.FollowAsync(job, () => Volatile.Read(ref latest), error, terminal: !Console.IsErrorRedirected, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (interrupt.ExitCode is { } code)
        {
            await error.WriteLineAsync($"stopped waiting; job {submitted.Id} goes on in the host (POST /v2/edge/batch/jobs/{submitted.Id}/cancel cancels it)").ConfigureAwait(false);
            return code;
        }

        return await BatchCommand.FinishAsync(final, json, output, error, interrupt).ConfigureAwait(false);
    }

    private static async Task<BatchJobStatus> PollAsync(HttpClient client, BatchJobStatus submitted, Action<BatchJobStatus> report, CancellationToken cancellationToken)
    {
        var status = submitted;
        while (!BatchJobStates.IsFinished(status.State))
        {
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            status = await SendAsync(client, HttpMethod.Get, $"/v2/edge/batch/jobs/{Uri.EscapeDataString(submitted.Id)}", null, cancellationToken).ConfigureAwait(false);
            report(status);
        }

        return status;
    }

    /// <summary>Sends one call; the host's refusal (<c>{"error"}</c>) is a usage error, an answer that is no job status <see cref="InvalidDataException"/>.</summary>
    private static async Task<BatchJobStatus> SendAsync(HttpClient client, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(method, path) { Content = content };
        using (var response = await client.SendAsync(message, cancellationToken).ConfigureAwait(false))
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var reason = TryRead(body, ContractsJsonContext.Default.ErrorResponse)?.Error ?? body;
                throw new CommandException($"the host refused the job ({(int)response.StatusCode}): {reason}");
            }

            return TryRead(body, ContractsJsonContext.Default.BatchJobStatus)
                ?? throw new InvalidDataException($"the host at {client.BaseAddress} answered {method} {path} with something that is not a job status: {body}");
        }
    }

    private static T? TryRead<T>(string body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(body, typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The first http(s) address in the host's <c>urls</c> setting that a client can call (not a wildcard bind).</summary>
    private static string? ConfiguredUrl(IConfiguration configuration) =>
        configuration[WebHostDefaults.ServerUrlsKey]?
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host is not ("0.0.0.0" or "[::]" or "*" or "+"));

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
