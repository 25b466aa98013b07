namespace EdgeRuntime.Hub.Registry;

/// <summary>How an upload of a model version went.</summary>
internal enum ModelUploadOutcome
{
    /// <summary>A new version was registered.</summary>
    Created,

    /// <summary>The version existed with the same content: nothing changed.</summary>
    Unchanged,

    /// <summary>The version exists with other content.</summary>
    Conflict,

    /// <summary>The content is larger than <c>Hub:Artifacts:MaxBytes</c>.</summary>
    TooLarge,

    /// <summary>The content is not acceptable: a package that fails verification or names another model, or raw ONNX where a signed package is required.</summary>
    Rejected,
}
