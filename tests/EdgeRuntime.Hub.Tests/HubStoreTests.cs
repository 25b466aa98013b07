using EdgeRuntime.Hub.Desired;
using EdgeRuntime.Hub.Storage;
using SQLite;

namespace EdgeRuntime.Hub.Tests;

/// <summary>The hub's SQLite store on a real file.</summary>
[TestFixture]
public sealed class HubStoreTests
{
    /// <summary>A hub.db from before rollout specs and fleet deployments opens, gains the new columns and keeps its rows.</summary>
    [Test]
    public void Open_OlderSchema_AddsNewColumnsAndKeepsRows()
    {
        var data = TestHub.NewDataDirectory();
        try
        {
            using (var old = new SQLiteConnection(Path.Combine(data, "hub.db")))
            {
                old.Execute("CREATE TABLE assignments(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, version INTEGER NOT NULL, device_id TEXT, tag TEXT, strategy TEXT NOT NULL, created_ms INTEGER NOT NULL)");
                old.Execute("CREATE TABLE device_status(device_id TEXT PRIMARY KEY, state TEXT, status_ms INTEGER NOT NULL DEFAULT 0, last_seen_ms INTEGER, runtime_version TEXT, profile TEXT, applied_revision INTEGER NOT NULL DEFAULT 0, models TEXT, store TEXT)");
                old.Execute("INSERT INTO assignments(model, version, tag, strategy, created_ms) VALUES ('m', 1, 'line-1', 'immediate', 1)");
            }

            using var store = new HubStore(data);
            var assignment = store.ListAssignments().Single();
            store.UpsertStatus(new DeviceStatusRow { DeviceId = "dev-a", State = "online", Rollouts = "[]" });
            Assert.Multiple(() =>
            {
                Assert.That((assignment.Model, assignment.Rollout), Is.EqualTo(("m", (string?)null)));
                Assert.That(DesiredStateService.RolloutOf(assignment).Strategy, Is.EqualTo("immediate"));
                Assert.That(store.GetStatus("dev-a")!.Rollouts, Is.EqualTo("[]"));
                Assert.That(store.ListDeployments(), Is.Empty);
            });
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>An offline status (the will) leaves the rollouts last reported, which deployments count, as they were.</summary>
    [Test]
    public void UpsertStatus_OfflineWithoutRollouts_KeepsLastRollouts()
    {
        var data = TestHub.NewDataDirectory();
        try
        {
            using var store = new HubStore(data);
            store.UpsertStatus(new DeviceStatusRow { DeviceId = "dev-a", State = "online", Rollouts = """[{"model":"m","stable":"2","phase":"stable"}]""" });
            store.UpsertStatus(new DeviceStatusRow { DeviceId = "dev-a", State = "offline", Rollouts = null });
            var status = store.GetStatus("dev-a")!;
            Assert.That((status.State, status.Rollouts), Is.EqualTo(("offline", (string?)"""[{"model":"m","stable":"2","phase":"stable"}]""")));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
