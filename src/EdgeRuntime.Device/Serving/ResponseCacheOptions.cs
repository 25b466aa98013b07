namespace EdgeRuntime.Device.Serving;

/// <summary>
/// The device-wide response cache (section <c>EdgeRuntime:ResponseCache</c>). Models opt in with
/// <c>"response_cache": {"enable": true}</c> in their <c>config.json</c>.
/// </summary>
public sealed class ResponseCacheOptions
{
    public const string SectionName = "EdgeRuntime:ResponseCache";

    /// <summary>Bytes of cached outputs kept at most; the least recently used answers go first. 0 turns the cache off.</summary>
    public long MaxBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How long an answer stays valid; 0 keeps it until evicted.</summary>
    public double TtlSeconds { get; set; }
}
