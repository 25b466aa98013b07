namespace EdgeRuntime.Device.Serving;

/// <summary>A response cache key: the SHA-256 of what determines an answer.</summary>
public readonly record struct CacheKey(ulong A, ulong B, ulong C, ulong D);
