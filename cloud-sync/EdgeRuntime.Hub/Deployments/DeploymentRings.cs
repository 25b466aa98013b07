using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace EdgeRuntime.Hub.Deployments;

/// <summary>
/// Which devices each ring of a deployment reaches. The members are ordered by a hash of (deployment id, device id):
/// stable for the deployment, unrelated to registration order or names, and different for every deployment, so the
/// same devices are not always the first to get a new version.
/// </summary>
internal static class DeploymentRings
{
    /// <summary>The default rings: 1 %, 10 %, 50 %, 100 % of the members.</summary>
    public static readonly IReadOnlyList<double> Default = [1, 10, 50, 100];

    public const int MaxRings = 20;

    /// <summary>The members in the deployment's order.</summary>
    public static List<string> Order(string deploymentId, IEnumerable<string> deviceIds) =>
        [.. deviceIds.Select(id => (Id: id, Key: Key(deploymentId, id))).OrderBy(d => d.Key).ThenBy(d => d.Id, StringComparer.Ordinal).Select(d => d.Id)];

    /// <summary>
    /// How many of <paramref name="devices"/> members rings 0..i reach together: ceil(percent × devices / 100), at least
    /// one (when there are devices), so even a 1 % ring of a small fleet tries the version somewhere first.
    /// </summary>
    public static int[] CumulativeSizes(IReadOnlyList<double> percents, int devices)
    {
        var sizes = new int[percents.Count];
        for (var i = 0; i < sizes.Length; i++)
        {
            // decimal: 10 % of 30 must be 3, not ceil(3.0000000000000004) = 4.
            var reach = (int)Math.Ceiling((decimal)percents[i] * devices / 100m);
            sizes[i] = Math.Clamp(reach, Math.Min(1, devices), devices);
        }

        return sizes;
    }

    /// <summary>The ring of each position of the order.</summary>
    public static int[] RingOfPositions(IReadOnlyList<double> percents, int devices)
    {
        var sizes = CumulativeSizes(percents, devices);
        var rings = new int[devices];
        var ring = 0;
        for (var position = 0; position < devices; position++)
        {
            while (position >= sizes[ring])
            {
                ring++;
            }

            rings[position] = ring;
        }

        return rings;
    }

    /// <summary>Why the rings are unusable (strictly increasing percents in (0, 100], the last 100), or null.</summary>
    public static string? Invalid(IReadOnlyList<double> percents)
    {
        if (percents.Count is 0 or > MaxRings)
        {
            return $"rings must list 1 to {MaxRings} percents";
        }

        for (var i = 0; i < percents.Count; i++)
        {
            if (!(percents[i] > 0 && percents[i] <= 100))
            {
                return $"rings[{i}] must be above 0 and at most 100 (was {percents[i]})";
            }

            if (i > 0 && percents[i] <= percents[i - 1])
            {
                return $"rings must be strictly increasing (rings[{i}] = {percents[i]} follows {percents[i - 1]})";
            }
        }

        return percents[^1] == 100 ? null : $"the last ring must be 100 (was {percents[^1]}), so the deployment reaches every device";
    }

    private static ulong Key(string deploymentId, string deviceId) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(deploymentId + "\n" + deviceId)));
}
