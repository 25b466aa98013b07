using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Inference;

namespace EdgeRuntime.Hub.Api;

/// <summary><c>{"error": "..."}</c> results of the fleet API.</summary>
internal static class ApiErrors
{
    public static IResult Error(int status, string message) => Results.Json(new ErrorResponse(message), FleetJsonContext.Default.ErrorResponse, statusCode: status);

    public static IResult BadRequest(string message) => Error(StatusCodes.Status400BadRequest, message);

    public static IResult NotFound(string message) => Error(StatusCodes.Status404NotFound, message);

    public static IResult Conflict(string message) => Error(StatusCodes.Status409Conflict, message);
}
