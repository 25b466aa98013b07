using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Registry;

/// <summary>Registers devices, checks their MQTT credentials, rotates and deletes them; tells listeners when credentials change.</summary>
internal sealed class DeviceRegistry(HubStore store, TimeProvider time)
{
    /// <summary>Raised after a device was added, deleted or got new credentials (the mosquitto files follow it).</summary>
    public event Action? CredentialsChanged;

    /// <summary>A tag is 1–64 characters of the device-id alphabet.</summary>
    public static bool IsValidTag(string? tag) => SyncTopics.IsValidDeviceId(tag);

    /// <summary>Registers the device and returns its password; null when the id is taken.</summary>
    public (DeviceRow Device, string Password)? Register(string id, IReadOnlyList<string> tags)
    {
        var password = DeviceCredentials.NewPassword();
        var row = new DeviceRow
        {
            Id = id,
            Tags = string.Join(',', tags.Distinct(StringComparer.Ordinal)),
            CreatedMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            PasswordSha256 = DeviceCredentials.Sha256Hex(password),
            MosquittoHash = DeviceCredentials.MosquittoHash(password),
        };
        if (!store.TryAddDevice(row))
        {
            return null;
        }

        CredentialsChanged?.Invoke();
        return (row, password);
    }

    /// <summary>New credentials for the device; the old password stops working. Null for an unknown device.</summary>
    public string? Rotate(string id)
    {
        var password = DeviceCredentials.NewPassword();
        if (!store.UpdateCredentials(id, DeviceCredentials.Sha256Hex(password), DeviceCredentials.MosquittoHash(password)))
        {
            return null;
        }

        CredentialsChanged?.Invoke();
        return password;
    }

    public bool Delete(string id)
    {
        var deleted = store.DeleteDevice(id);
        if (deleted)
        {
            CredentialsChanged?.Invoke();
        }

        return deleted;
    }

    public DeviceRow? Find(string id) => store.GetDevice(id);

    /// <summary>True when <paramref name="deviceId"/> is registered and <paramref name="password"/> is its current password.</summary>
    public bool Authenticate(string? deviceId, string? password) =>
        SyncTopics.IsValidDeviceId(deviceId) && store.GetDevice(deviceId) is { } device && DeviceCredentials.Verify(password, device.PasswordSha256);
}
