namespace EdgeRuntime.Hub.Hosting;

/// <summary><c>Hub:Mosquitto</c>: files the hub keeps up to date for an external mosquitto broker.</summary>
internal sealed class MosquittoOptions
{
    /// <summary>Rewritten with every device's credentials whenever the registry changes.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Rewritten at start: the hub's user reads and writes everything, devices only their own subtree.</summary>
    public string? AclFile { get; set; }

    /// <summary>When set, the hub sends SIGHUP to the pid in this file after rewriting, so mosquitto reloads.</summary>
    public string? PidFile { get; set; }
}
