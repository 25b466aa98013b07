using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Deployments;

/// <summary>What became of a request to create or move a deployment: the deployment, or the HTTP status and why not.</summary>
internal sealed record DeploymentResult(DeploymentRow? Deployment, int StatusCode, string? Error)
{
    public static DeploymentResult Done(DeploymentRow deployment, int statusCode = StatusCodes.Status200OK) => new(deployment, statusCode, null);

    public static DeploymentResult NotFound(string id) => new(null, StatusCodes.Status404NotFound, $"deployment '{id}' does not exist");

    public static DeploymentResult Conflict(string error) => new(null, StatusCodes.Status409Conflict, error);
}
