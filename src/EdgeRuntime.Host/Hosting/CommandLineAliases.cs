namespace EdgeRuntime.Host;

/// <summary>Short command-line switches for the settings people change most.</summary>
internal static class CommandLineAliases
{
    public static readonly IDictionary<string, string> Map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["--data"] = "EdgeRuntime:DataDirectory",
        ["--models"] = "EdgeRuntime:ModelRepository",
        ["--profile"] = "EdgeRuntime:Profile",
        ["--socket"] = "EdgeRuntime:Api:UnixSocket",
        ["--token"] = "EdgeRuntime:Api:AccessToken",
        ["--device-id"] = "EdgeRuntime:Sync:DeviceId",
        ["--hub-host"] = "EdgeRuntime:Sync:Host",
        ["--hub-port"] = "EdgeRuntime:Sync:Port",
    };
}
