namespace EdgeRuntime.Device.Inference;

/// <summary>A failed inference or model operation, classified so the API can answer with the right status.</summary>
public sealed class InferenceException : Exception
{
    public InferenceException(InferenceErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    public InferenceErrorKind Kind { get; }

    /// <summary>For <see cref="InferenceErrorKind.Unavailable"/>: when a retry may succeed (sent as <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; init; }

    public static InferenceException BadRequest(string message) => new(InferenceErrorKind.BadRequest, message);

    public static InferenceException NotFound(string message) => new(InferenceErrorKind.NotFound, message);
}

/// <summary>Who got it wrong, and so which HTTP status answers it.</summary>
public enum InferenceErrorKind
{
    /// <summary>The request is malformed or does not fit the model (400).</summary>
    BadRequest,

    /// <summary>No such model or version (404).</summary>
    NotFound,

    /// <summary>The body is over the configured limit (413).</summary>
    TooLarge,

    /// <summary>The model exists but cannot serve now, e.g. still loading or failed to load (503).</summary>
    Unavailable,

    /// <summary>The runtime failed, e.g. inside ONNX Runtime (500).</summary>
    Internal,
}
