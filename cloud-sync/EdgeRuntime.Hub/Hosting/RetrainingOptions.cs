namespace EdgeRuntime.Hub.Hosting;

/// <summary><c>Hub:Retraining</c>: where drift reports and firing alerts are POSTed.</summary>
internal sealed class RetrainingOptions
{
    public string? WebhookUrl { get; set; }
}
