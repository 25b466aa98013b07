using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Packages;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Serving;
using EdgeRuntime.Device.Sync;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Host;
using EdgeRuntime.Host.Api;
using EdgeRuntime.Host.Commands;

if (await CommandVerbs.TryRunAsync(args, Console.Out, Console.Error) is { } exitCode)
{
    return exitCode;
}

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddEdgeRuntimeHosting(args);
builder.Services.AddInference();
builder.Services.AddDeployment();
builder.Services.AddPackages();
builder.Services.AddServing();
builder.Services.AddTelemetry(builder.Configuration);
builder.Services.AddSync(builder.Configuration);
builder.Services.AddBatch(builder.Configuration);

var app = builder.Build();
app.MapEdgeRuntimeApi();
await app.RunAsync();
return 0;

/// <summary>The <c>edge-runtime</c> entry point; visible to tests that host it in-process.</summary>
public partial class Program;
