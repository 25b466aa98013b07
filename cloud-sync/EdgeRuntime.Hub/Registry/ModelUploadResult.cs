namespace EdgeRuntime.Hub.Registry;

/// <summary>How an upload went, the version it concerns (when there is one), its artifact, and for a refusal the reason.</summary>
internal sealed record ModelUploadResult(ModelUploadOutcome Outcome, Storage.ModelVersionRow? Version = null, Storage.ArtifactRow? Artifact = null, string? Reason = null);
