namespace EdgeRuntime.Device.Inference;

/// <summary>Why a request failed, as metrics and events name it.</summary>
public static class FailureReasons
{
    /// <summary>The request did not fit the model or could not be decoded.</summary>
    public const string BadRequest = "bad_request";

    /// <summary>The body was over the limit.</summary>
    public const string TooLarge = "too_large";

    /// <summary>The model could not take it now: not ready, or its queue was full or timed out.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>ONNX Runtime or the runtime itself failed.</summary>
    public const string Internal = "internal";

    /// <summary>The caller went away before the answer.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The reason an exception stands for.</summary>
    public static string Of(Exception exception) => exception switch
    {
        OperationCanceledException => Cancelled,
        InferenceException { Kind: InferenceErrorKind.BadRequest or InferenceErrorKind.NotFound } => BadRequest,
        InferenceException { Kind: InferenceErrorKind.TooLarge } => TooLarge,
        InferenceException { Kind: InferenceErrorKind.Unavailable } => Unavailable,
        _ => Internal,
    };
}
