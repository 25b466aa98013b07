using EdgeRuntime.Hub.Broker;
using EdgeRuntime.Hub.Hosting;

// edge-hub [--urls URL] [--data DIR] [--mqtt-port N] [--token T] [--Hub:Key value ...]
// edge-hub mosquitto-files --out DIR      write mosquitto's password and ACL files once
if (args is ["mosquitto-files", .. var rest])
{
    var outIndex = Array.IndexOf(rest, "--out");
    if (outIndex < 0 || outIndex + 1 >= rest.Length)
    {
        Console.Error.WriteLine("usage: edge-hub mosquitto-files --out DIR [--data DIR]");
        return 2;
    }

    var directory = rest[outIndex + 1];
    await using var tool = HubApplication.Build([.. rest[..outIndex], .. rest[(outIndex + 2)..]]);
    var (passwd, acl) = tool.Services.GetRequiredService<MosquittoFiles>().WriteTo(directory);
    Console.WriteLine($"wrote {passwd} and {acl}");
    return 0;
}

await using var app = HubApplication.Build(args);
await app.RunAsync();
return 0;
