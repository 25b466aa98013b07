using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Serving;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Host;
using EdgeRuntime.Host.Api;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddEdgeRuntimeHosting(args);
builder.Services.AddInference();
builder.Services.AddDeployment();
builder.Services.AddServing();
builder.Services.AddTelemetryStore();

var app = builder.Build();
app.MapEdgeRuntimeApi();
await app.RunAsync();

/// <summary>The <c>edge-runtime</c> entry point; visible to tests that host it in-process.</summary>
public partial class Program;
