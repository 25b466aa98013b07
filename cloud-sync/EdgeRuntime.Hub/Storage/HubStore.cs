using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Telemetry;
using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>
/// The hub's one SQLite file (<c>&lt;data&gt;/hub.db</c>, WAL): devices and their status, models and artifacts,
/// assignments and desired states, ingested records, alerts and commands. Writes go through one connection under a
/// lock; queries use a second connection, so reading never waits for a group commit. The only type that touches SQLite.
/// </summary>
internal sealed class HubStore : IDisposable
{
    // records is a rowid table on purpose: its rows (a few hundred bytes, from thousands of devices at once) append in
    // arrival order, and only the small (device_id, seq) index is written out of order. Clustered on (device_id, seq)
    // (WITHOUT ROWID) every small batch dirtied a page of its own: a minute of a 5,000-device fleet took 66–95 s of
    // hub CPU that way, 52–61 s this way.
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS devices(id TEXT PRIMARY KEY, tags TEXT NOT NULL, created_ms INTEGER NOT NULL,
            password_sha256 TEXT NOT NULL, mosquitto_hash TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS device_status(device_id TEXT PRIMARY KEY, state TEXT, status_ms INTEGER NOT NULL DEFAULT 0,
            last_seen_ms INTEGER, runtime_version TEXT, profile TEXT, applied_revision INTEGER NOT NULL DEFAULT 0, models TEXT, store TEXT);
        CREATE TABLE IF NOT EXISTS artifacts(id TEXT PRIMARY KEY, size INTEGER NOT NULL, chunk_bytes INTEGER NOT NULL,
            chunk_index BLOB NOT NULL, created_ms INTEGER NOT NULL, format TEXT NOT NULL DEFAULT 'onnx');
        CREATE TABLE IF NOT EXISTS model_versions(name TEXT NOT NULL, version INTEGER NOT NULL, artifact_id TEXT NOT NULL,
            size INTEGER NOT NULL, created_ms INTEGER NOT NULL, retired INTEGER NOT NULL DEFAULT 0, upload_sha256 TEXT,
            PRIMARY KEY(name, version));
        CREATE TABLE IF NOT EXISTS assignments(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, version INTEGER NOT NULL,
            device_id TEXT, tag TEXT, strategy TEXT NOT NULL, created_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS desired(device_id TEXT PRIMARY KEY, revision INTEGER NOT NULL, models TEXT NOT NULL, document TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS records(device_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, ts_ms INTEGER NOT NULL,
            type TEXT NOT NULL, model TEXT, version TEXT, payload TEXT NOT NULL, received_ms INTEGER NOT NULL,
            PRIMARY KEY(device_id, seq));
        CREATE TABLE IF NOT EXISTS alerts(id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, seq INTEGER NOT NULL,
            type TEXT NOT NULL, model TEXT, version TEXT, received_ms INTEGER NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0, last_error TEXT, delivered_ms INTEGER);
        CREATE INDEX IF NOT EXISTS alerts_due ON alerts(state, next_attempt_ms);
        CREATE TABLE IF NOT EXISTS commands(id TEXT PRIMARY KEY, device_id TEXT NOT NULL, name TEXT NOT NULL, arguments TEXT,
            issued_ms INTEGER NOT NULL, result TEXT, completed_ms INTEGER);
        CREATE TABLE IF NOT EXISTS deployments(id TEXT PRIMARY KEY, model TEXT NOT NULL, version INTEGER NOT NULL, tag TEXT, device_ids TEXT,
            rollout TEXT NOT NULL, rings TEXT NOT NULL, success_threshold REAL NOT NULL, error_threshold REAL NOT NULL,
            ring_bake_seconds INTEGER NOT NULL, state TEXT NOT NULL, current_ring INTEGER NOT NULL, ring_started_ms INTEGER NOT NULL,
            reason TEXT, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, assignment_ids TEXT);
        CREATE INDEX IF NOT EXISTS deployments_state ON deployments(state, model);
        CREATE TABLE IF NOT EXISTS deployment_devices(deployment_id TEXT NOT NULL, device_id TEXT NOT NULL, ring INTEGER NOT NULL,
            position INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT, updated_ms INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(deployment_id, device_id));
        CREATE INDEX IF NOT EXISTS deployment_devices_device ON deployment_devices(device_id);
        CREATE TABLE IF NOT EXISTS deployment_transitions(id INTEGER PRIMARY KEY AUTOINCREMENT, deployment_id TEXT NOT NULL,
            at_ms INTEGER NOT NULL, state TEXT NOT NULL, ring INTEGER NOT NULL, reason TEXT);
        CREATE INDEX IF NOT EXISTS deployment_transitions_deployment ON deployment_transitions(deployment_id, id);
        """;

    /// <summary>Columns added to tables after they first shipped: added to an older <c>hub.db</c> when it opens.</summary>
    private static readonly (string Table, string Column, string Type)[] AddedColumns =
    [
        ("artifacts", "format", "TEXT NOT NULL DEFAULT 'onnx'"),
        ("model_versions", "upload_sha256", "TEXT"),
        ("assignments", "rollout", "TEXT"),
        ("device_status", "rollouts", "TEXT"),
    ];

    private const string ActiveStates = $"('{DeploymentStates.Running}', '{DeploymentStates.Halted}')";

    private static readonly byte[] StateProperty = "state"u8.ToArray();
    private static readonly byte[] DriftAlertState = "alert"u8.ToArray();

    private readonly Lock _writeLock = new();
    private readonly Lock _readLock = new();
    private readonly SQLiteConnection _write;
    private readonly SQLiteConnection _read;
    private readonly SqliteStatement _insertRecord;
    private readonly SqliteStatement _touchDevice;
    private bool _disposed;

    /// <summary>Opens (creating when missing) <c>hub.db</c> in <paramref name="dataDirectory"/>, creating the directory too.</summary>
    public HubStore(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        Path = System.IO.Path.Combine(dataDirectory, "hub.db");
        _write = Open(Path);
        try
        {
            var mode = _write.ExecuteScalar<string>("PRAGMA journal_mode=WAL");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"hub store {Path}: could not switch to WAL journaling (journal_mode is {mode})");
            }

            // A committed transaction survives a crash of this process (it is in the WAL file); a power loss may lose
            // the last ones since a checkpoint but never corrupts the file. Acknowledged-then-lost needs a power cut.
            _write.Execute("PRAGMA synchronous=NORMAL");
            foreach (var statement in Schema.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                _write.Execute(statement);
            }

            // Columns added since the first schema; a store from before them gets them here, its rows keeping the defaults.
            foreach (var (table, column, type) in AddedColumns)
            {
                if (_write.ExecuteScalar<long>("SELECT count(*) FROM pragma_table_info(?) WHERE name = ?", table, column) == 0)
                {
                    _write.Execute($"ALTER TABLE {table} ADD COLUMN {column} {type}");
                }
            }

            _read = Open(Path);
            _insertRecord = new SqliteStatement(_write, "INSERT OR IGNORE INTO records(device_id, seq, kind, ts_ms, type, model, version, payload, received_ms) VALUES (?,?,?,?,?,?,?,?,?)");
            _touchDevice = new SqliteStatement(_write, "INSERT INTO device_status(device_id, last_seen_ms) VALUES (?, ?) ON CONFLICT(device_id) DO UPDATE SET last_seen_ms = max(coalesce(last_seen_ms, 0), excluded.last_seen_ms)");
        }
        catch
        {
            _write.Dispose();
            _read?.Dispose();
            throw;
        }
    }

    public string Path { get; }

    // ---- devices ----

    /// <summary>Adds a device; false when one with that id exists.</summary>
    public bool TryAddDevice(DeviceRow device) => Write(() =>
        _write.Execute("INSERT OR IGNORE INTO devices(id, tags, created_ms, password_sha256, mosquitto_hash) VALUES (?,?,?,?,?)",
            device.Id, device.Tags, device.CreatedMs, device.PasswordSha256, device.MosquittoHash) == 1);

    public DeviceRow? GetDevice(string id) => Read(() => _read.Query<DeviceRow>("SELECT * FROM devices WHERE id = ?", id).FirstOrDefault());

    /// <summary>Every device, or those with <paramref name="tag"/>, by id.</summary>
    public List<DeviceRow> ListDevices(string? tag = null) => Read(() => tag is null
        ? _read.Query<DeviceRow>("SELECT * FROM devices ORDER BY id")
        : _read.Query<DeviceRow>("SELECT * FROM devices WHERE instr(',' || tags || ',', ',' || ? || ',') > 0 ORDER BY id", tag));

    public bool UpdateTags(string id, string tags) => Write(() => _write.Execute("UPDATE devices SET tags = ? WHERE id = ?", tags, id) == 1);

    public bool UpdateCredentials(string id, string passwordSha256, string mosquittoHash) => Write(() =>
        _write.Execute("UPDATE devices SET password_sha256 = ?, mosquitto_hash = ? WHERE id = ?", passwordSha256, mosquittoHash, id) == 1);

    /// <summary>Removes the device, its status, desired state, device assignments and deployment memberships; its records stay.</summary>
    public bool DeleteDevice(string id) => Write(() =>
    {
        _write.BeginTransaction();
        try
        {
            var deleted = _write.Execute("DELETE FROM devices WHERE id = ?", id) == 1;
            _write.Execute("DELETE FROM device_status WHERE device_id = ?", id);
            _write.Execute("DELETE FROM desired WHERE device_id = ?", id);
            _write.Execute("DELETE FROM assignments WHERE device_id = ?", id);
            _write.Execute("DELETE FROM deployment_devices WHERE device_id = ?", id);
            _write.Commit();
            return deleted;
        }
        catch
        {
            _write.Rollback();
            throw;
        }
    });

    public DeviceStatusRow? GetStatus(string deviceId) =>
        Read(() => _read.Query<DeviceStatusRow>("SELECT * FROM device_status WHERE device_id = ?", deviceId).FirstOrDefault());

    public List<DeviceStatusRow> ListStatuses() => Read(() => _read.Query<DeviceStatusRow>("SELECT * FROM device_status"));

    public void UpsertStatus(DeviceStatusRow status) => Write(() => _write.Execute(
        """
        INSERT INTO device_status(device_id, state, status_ms, last_seen_ms, runtime_version, profile, applied_revision, models, store, rollouts)
        VALUES (?,?,?,?,?,?,?,?,?,?)
        ON CONFLICT(device_id) DO UPDATE SET state = excluded.state, status_ms = excluded.status_ms,
            last_seen_ms = max(coalesce(last_seen_ms, 0), excluded.last_seen_ms), runtime_version = excluded.runtime_version,
            profile = excluded.profile, applied_revision = excluded.applied_revision, models = excluded.models, store = excluded.store,
            rollouts = coalesce(excluded.rollouts, rollouts)
        """,
        status.DeviceId, status.State, status.StatusMs, status.LastSeenMs, status.RuntimeVersion, status.Profile,
        status.AppliedRevision, status.Models, status.Store, status.Rollouts));

    public void TouchDevice(string deviceId, long nowMs) => Write(() => _touchDevice.Bind(1, deviceId).Bind(2, nowMs).Execute());

    // ---- artifacts and models ----

    public ArtifactRow? GetArtifact(string id) => Read(() => _read.Query<ArtifactRow>("SELECT * FROM artifacts WHERE id = ?", id).FirstOrDefault());

    /// <summary>Adds the artifact unless it is known already (content addressed: same id, same bytes).</summary>
    public void AddArtifact(ArtifactRow artifact) => Write(() => _write.Execute(
        "INSERT OR IGNORE INTO artifacts(id, size, chunk_bytes, chunk_index, created_ms, format) VALUES (?,?,?,?,?,?)",
        artifact.Id, artifact.Size, artifact.ChunkBytes, artifact.ChunkIndex, artifact.CreatedMs, artifact.Format));

    public ModelVersionRow? GetModelVersion(string name, long version) => Read(() =>
        _read.Query<ModelVersionRow>("SELECT * FROM model_versions WHERE name = ? AND version = ?", name, version).FirstOrDefault());

    /// <summary>Adds the version; false when that name and version exist already.</summary>
    public bool TryAddModelVersion(ModelVersionRow row) => Write(() => _write.Execute(
        "INSERT OR IGNORE INTO model_versions(name, version, artifact_id, size, created_ms, retired, upload_sha256) VALUES (?,?,?,?,?,0,?)",
        row.Name, row.Version, row.ArtifactId, row.Size, row.CreatedMs, row.UploadSha256) == 1);

    public List<ModelVersionRow> ListModelVersions(string? name = null) => Read(() => name is null
        ? _read.Query<ModelVersionRow>("SELECT * FROM model_versions ORDER BY name, version")
        : _read.Query<ModelVersionRow>("SELECT * FROM model_versions WHERE name = ? ORDER BY version", name));

    public bool RetireModelVersion(string name, long version) => Write(() =>
        _write.Execute("UPDATE model_versions SET retired = 1 WHERE name = ? AND version = ?", name, version) == 1);

    // ---- assignments and desired state ----

    public long AddAssignment(AssignmentRow row) => Write(() =>
    {
        InsertAssignment(row);
        return row.Id;
    });

    public AssignmentRow? GetAssignment(long id) => Read(() => _read.Query<AssignmentRow>("SELECT * FROM assignments WHERE id = ?", id).FirstOrDefault());

    public List<AssignmentRow> ListAssignments() => Read(() => _read.Query<AssignmentRow>("SELECT * FROM assignments ORDER BY id"));

    public bool DeleteAssignment(long id) => Write(() => _write.Execute("DELETE FROM assignments WHERE id = ?", id) == 1);

    /// <summary>True while an assignment or a running or halted deployment names the version.</summary>
    public bool IsVersionAssigned(string model, long version) => Read(() =>
        _read.ExecuteScalar<long>("SELECT count(*) FROM assignments WHERE model = ? AND version = ?", model, version) > 0
        || _read.ExecuteScalar<long>($"SELECT count(*) FROM deployments WHERE model = ? AND version = ? AND state IN {ActiveStates}", model, version) > 0);

    public DesiredRow? GetDesired(string deviceId) => Read(() => _read.Query<DesiredRow>("SELECT * FROM desired WHERE device_id = ?", deviceId).FirstOrDefault());

    public List<DesiredRow> ListDesired() => Read(() => _read.Query<DesiredRow>("SELECT * FROM desired ORDER BY device_id"));

    public void SaveDesired(DesiredRow row) => Write(() => _write.Execute(
        "INSERT INTO desired(device_id, revision, models, document) VALUES (?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET revision = excluded.revision, models = excluded.models, document = excluded.document",
        row.DeviceId, row.Revision, row.Models, row.Document));

    // ---- deployments ----

    /// <summary>Adds a deployment with its members and first transition, all or nothing; false when the id is taken.</summary>
    public bool TryAddDeployment(DeploymentRow row, IReadOnlyList<DeploymentMemberRow> members, DeploymentTransitionRow transition) => Write(() =>
    {
        _write.BeginTransaction();
        try
        {
            var added = _write.Execute(
                """
                INSERT OR IGNORE INTO deployments(id, model, version, tag, device_ids, rollout, rings, success_threshold, error_threshold,
                    ring_bake_seconds, state, current_ring, ring_started_ms, reason, created_ms, updated_ms, assignment_ids)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                """,
                row.Id, row.Model, row.Version, row.Tag, row.DeviceIds, row.Rollout, row.Rings, row.SuccessThreshold, row.ErrorThreshold,
                row.RingBakeSeconds, row.State, row.CurrentRing, row.RingStartedMs, row.Reason, row.CreatedMs, row.UpdatedMs, row.AssignmentIds) == 1;
            if (!added)
            {
                _write.Rollback();
                return false;
            }

            using (var insert = new SqliteStatement(_write, "INSERT INTO deployment_devices(deployment_id, device_id, ring, position, outcome, reason, updated_ms) VALUES (?,?,?,?,?,?,?)"))
            {
                foreach (var member in members)
                {
                    insert.Bind(1, member.DeploymentId).Bind(2, member.DeviceId).Bind(3, member.Ring).Bind(4, member.Position)
                        .Bind(5, member.Outcome).Bind(6, member.Reason).Bind(7, member.UpdatedMs).Execute();
                }
            }

            InsertTransition(transition);
            _write.Commit();
            return true;
        }
        catch
        {
            _write.Rollback();
            throw;
        }
    });

    public DeploymentRow? GetDeployment(string id) => Read(() => _read.Query<DeploymentRow>("SELECT * FROM deployments WHERE id = ?", id).FirstOrDefault());

    /// <summary>Deployments, newest first, optionally of one model and/or in one state.</summary>
    public List<DeploymentRow> ListDeployments(string? model = null, string? state = null) => Read(() => _read.Query<DeploymentRow>(
        "SELECT * FROM deployments WHERE (?1 IS NULL OR model = ?1) AND (?2 IS NULL OR state = ?2) ORDER BY created_ms DESC, id",
        model!, state!));

    /// <summary>Running and halted deployments, oldest first, optionally of one model.</summary>
    public List<DeploymentRow> ListActiveDeployments(string? model = null) => Read(() => _read.Query<DeploymentRow>(
        $"SELECT * FROM deployments WHERE state IN {ActiveStates} AND (?1 IS NULL OR model = ?1) ORDER BY created_ms, id", model!));

    /// <summary>The running and halted deployments whose started rings include the device, oldest first.</summary>
    public List<DeploymentRow> ActiveDeploymentsReaching(string deviceId) => Read(() => _read.Query<DeploymentRow>(
        $"""
        SELECT d.* FROM deployments d JOIN deployment_devices m ON m.deployment_id = d.id
        WHERE m.device_id = ? AND d.state IN {ActiveStates} AND m.ring <= d.current_ring ORDER BY d.created_ms, d.id
        """,
        deviceId));

    /// <summary>Saves the deployment's state, ring and reason, and records the transition.</summary>
    public void UpdateDeployment(DeploymentRow row, DeploymentTransitionRow transition) => Write(() =>
    {
        _write.BeginTransaction();
        try
        {
            UpdateDeploymentRow(row);
            InsertTransition(transition);
            _write.Commit();
        }
        catch
        {
            _write.Rollback();
            throw;
        }
    });

    /// <summary>
    /// Ends the deployment (its row as given) and adds <paramref name="assignments"/>, in one transaction, so the devices
    /// never see the deployment gone before the assignments that keep its version are there. Sets the rows' ids.
    /// </summary>
    public void FinishDeployment(DeploymentRow row, DeploymentTransitionRow transition, IReadOnlyList<AssignmentRow> assignments) => Write(() =>
    {
        _write.BeginTransaction();
        try
        {
            foreach (var assignment in assignments)
            {
                InsertAssignment(assignment);
            }

            row.AssignmentIds = assignments.Count == 0 ? null : string.Join(',', assignments.Select(a => a.Id));
            UpdateDeploymentRow(row);
            InsertTransition(transition);
            _write.Commit();
        }
        catch
        {
            _write.Rollback();
            throw;
        }
    });

    /// <summary>The deployment's members by position, those of rings up to <paramref name="maxRing"/>, each with its device's last rollouts.</summary>
    public List<DeploymentMemberRow> ListMembers(string deploymentId, int maxRing = int.MaxValue) => Read(() => _read.Query<DeploymentMemberRow>(
        """
        SELECT m.*, s.rollouts AS rollouts FROM deployment_devices m LEFT JOIN device_status s ON s.device_id = m.device_id
        WHERE m.deployment_id = ? AND m.ring <= ? ORDER BY m.position
        """,
        deploymentId, maxRing));

    /// <summary>The registered devices of the deployment's rings <paramref name="fromRing"/> to <paramref name="toRing"/>.</summary>
    public List<DeviceRow> ListMemberDevices(string deploymentId, int fromRing, int toRing) => Read(() => _read.Query<DeviceRow>(
        """
        SELECT d.* FROM devices d JOIN deployment_devices m ON m.device_id = d.id
        WHERE m.deployment_id = ? AND m.ring BETWEEN ? AND ? ORDER BY m.position
        """,
        deploymentId, fromRing, toRing));

    /// <summary>Every registered device that is a member of any deployment.</summary>
    public List<DeviceRow> ListAllMemberDevices() => Read(() => _read.Query<DeviceRow>(
        "SELECT * FROM devices WHERE id IN (SELECT device_id FROM deployment_devices) ORDER BY id"));

    /// <summary>Stores new outcomes of members (device id, outcome and reason), in one transaction.</summary>
    public void UpdateMemberOutcomes(string deploymentId, IReadOnlyList<DeploymentMemberRow> members, long nowMs) => Write(() =>
    {
        _write.BeginTransaction();
        try
        {
            using var update = new SqliteStatement(_write, "UPDATE deployment_devices SET outcome = ?, reason = ?, updated_ms = ? WHERE deployment_id = ? AND device_id = ?");
            foreach (var member in members)
            {
                update.Bind(1, member.Outcome).Bind(2, member.Reason).Bind(3, nowMs).Bind(4, deploymentId).Bind(5, member.DeviceId).Execute();
            }

            _write.Commit();
        }
        catch
        {
            _write.Rollback();
            throw;
        }
    });

    public List<RingOutcomeCount> RingOutcomeCounts(string deploymentId) => Read(() => _read.Query<RingOutcomeCount>(
        "SELECT ring, outcome, count(*) AS count FROM deployment_devices WHERE deployment_id = ? GROUP BY ring, outcome", deploymentId));

    /// <summary>The first <paramref name="limit"/> members whose outcome is failed, by ring and position.</summary>
    public List<DeploymentMemberRow> ListFailedMembers(string deploymentId, int limit) => Read(() => _read.Query<DeploymentMemberRow>(
        "SELECT * FROM deployment_devices WHERE deployment_id = ? AND outcome = ? ORDER BY position LIMIT ?",
        deploymentId, DeploymentDeviceOutcomes.Failed, limit));

    public List<DeploymentTransitionRow> ListTransitions(string deploymentId) => Read(() => _read.Query<DeploymentTransitionRow>(
        "SELECT * FROM deployment_transitions WHERE deployment_id = ? ORDER BY id", deploymentId));

    // ---- records ----

    /// <summary>
    /// Stores the records of <paramref name="batches"/> in one transaction, each once by (device, sequence), marks the
    /// devices seen, and adds an alert row for every newly stored drift report in state <c>alert</c> or
    /// <c>alert_firing</c> event. Returns how many alerts it added.
    /// </summary>
    public int CommitBatches(IReadOnlyList<IngestBatch> batches, long receivedMs, bool webhookConfigured)
    {
        var alerts = 0;
        Write(() =>
        {
            _write.BeginTransaction();
            try
            {
                foreach (var batch in batches)
                {
                    foreach (var record in batch.Records)
                    {
                        var payload = batch.Payload(record);
                        var inserted = _insertRecord
                            .Bind(1, batch.DeviceId).Bind(2, record.Sequence).Bind(3, record.Kind).Bind(4, record.TimestampMs)
                            .Bind(5, record.Type).Bind(6, record.Model).Bind(7, record.Version).BindUtf8(8, payload).Bind(9, receivedMs)
                            .Execute() == 1;
                        if (inserted && IsAlert(record.Type, payload))
                        {
                            _write.Execute(
                                "INSERT INTO alerts(device_id, seq, type, model, version, received_ms, payload, state) VALUES (?,?,?,?,?,?,?,?)",
                                batch.DeviceId, record.Sequence, record.Type, record.Model, record.Version, receivedMs,
                                Encoding.UTF8.GetString(payload), webhookConfigured ? AlertRow.Pending : AlertRow.Disabled);
                            alerts++;
                        }
                    }
                }

                // One sighting per device per commit: a fleet's small batches would otherwise update a row each.
                foreach (var deviceId in batches.Select(b => b.DeviceId).Distinct(StringComparer.Ordinal))
                {
                    _touchDevice.Bind(1, deviceId).Bind(2, receivedMs).Execute();
                }

                _write.Commit();
            }
            catch
            {
                _write.Rollback();
                throw;
            }
        });
        return alerts;
    }

    /// <summary>Records matching <paramref name="query"/>, by device then sequence.</summary>
    public List<RecordRow> QueryRecords(RecordQuery query)
    {
        var sql = new StringBuilder("SELECT * FROM records WHERE 1 = 1");
        var args = new List<object>();
        void Add(string clause, object value)
        {
            sql.Append(" AND ").Append(clause);
            args.Add(value);
        }

        if (query.DeviceId is not null)
        {
            Add("device_id = ?", query.DeviceId);
        }

        if (query.Model is not null)
        {
            Add("model = ?", query.Model);
        }

        if (query.Type is not null)
        {
            Add("type = ?", query.Type);
        }

        if (query.FromMs is { } from)
        {
            Add("ts_ms >= ?", from);
        }

        if (query.ToMs is { } to)
        {
            Add("ts_ms < ?", to);
        }

        if (query.AfterSeq is { } after)
        {
            Add("seq > ?", after);
        }

        if (query.Kinds is { Count: > 0 } kinds)
        {
            sql.Append(" AND kind IN (").Append(string.Join(',', kinds.Select(_ => "?"))).Append(')');
            args.AddRange(kinds);
        }

        sql.Append(" ORDER BY device_id, seq LIMIT ?");
        args.Add(query.Limit);
        return Read(() => _read.Query<RecordRow>(sql.ToString(), [.. args]));
    }

    /// <summary>How many records of the device are stored, their sequence range, and how many numbers in it are absent.</summary>
    public (long Count, long? First, long? Last) RecordRange(string deviceId) => Read(() =>
    {
        var count = _read.ExecuteScalar<long>("SELECT count(*) FROM records WHERE device_id = ?", deviceId);
        if (count == 0)
        {
            return (0L, (long?)null, (long?)null);
        }

        var first = _read.ExecuteScalar<long>("SELECT min(seq) FROM records WHERE device_id = ?", deviceId);
        var last = _read.ExecuteScalar<long>("SELECT max(seq) FROM records WHERE device_id = ?", deviceId);
        return (count, first, last);
    });

    /// <summary>
    /// The ingest delay (received minus created) of records created in [<paramref name="fromMs"/>, <paramref name="toMs"/>)
    /// by devices whose id starts with <paramref name="devicePrefix"/> (all when null): the count and nearest-rank
    /// percentiles of <paramref name="quantiles"/>.
    /// </summary>
    public (long Count, long[] Values) IngestDelay(long fromMs, long toMs, string? devicePrefix, IReadOnlyList<double> quantiles) => Read(() =>
    {
        const string Where = " FROM records WHERE ts_ms >= ? AND ts_ms < ? AND device_id >= ? AND device_id < ?";
        // A prefix range on the primary key's first column: [prefix, prefix + U+FFFF).
        var low = devicePrefix ?? "";
        var high = devicePrefix is null ? "\uffff" : devicePrefix + "\uffff";
        var count = _read.ExecuteScalar<long>("SELECT count(*)" + Where, fromMs, toMs, low, high);
        var values = new long[quantiles.Count];
        for (var i = 0; count > 0 && i < quantiles.Count; i++)
        {
            var rank = Math.Clamp((long)Math.Ceiling(quantiles[i] * count) - 1, 0, count - 1);
            values[i] = _read.ExecuteScalar<long>("SELECT received_ms - ts_ms AS delay" + Where + " ORDER BY delay LIMIT 1 OFFSET ?", fromMs, toMs, low, high, rank);
        }

        return (count, values);
    });

    // ---- alerts ----

    public List<AlertRow> ListAlerts(int limit = 1000) => Read(() => _read.Query<AlertRow>("SELECT * FROM alerts ORDER BY id DESC LIMIT ?", limit));

    public List<AlertRow> DueAlerts(long nowMs, int limit) => Read(() => _read.Query<AlertRow>(
        "SELECT * FROM alerts WHERE state = ? AND next_attempt_ms <= ? ORDER BY id LIMIT ?", AlertRow.Pending, nowMs, limit));

    /// <summary>When the next pending delivery is due; null when none is pending.</summary>
    public long? NextAlertDueMs() => Read(() =>
    {
        var due = _read.Query<AlertRow>("SELECT * FROM alerts WHERE state = ? ORDER BY next_attempt_ms LIMIT 1", AlertRow.Pending).FirstOrDefault();
        return due?.NextAttemptMs;
    });

    public void MarkAlertDelivered(long id, int attempts, long nowMs) => Write(() =>
        _write.Execute("UPDATE alerts SET state = ?, attempts = ?, delivered_ms = ?, last_error = NULL WHERE id = ?", AlertRow.Delivered, attempts, nowMs, id));

    public void MarkAlertFailed(long id, int attempts, long nextAttemptMs, string error) => Write(() =>
        _write.Execute("UPDATE alerts SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE id = ?", attempts, nextAttemptMs, error, id));

    // ---- commands ----

    public void AddCommand(CommandRow row) => Write(() => _write.Execute(
        "INSERT INTO commands(id, device_id, name, arguments, issued_ms) VALUES (?,?,?,?,?)", row.Id, row.DeviceId, row.Name, row.Arguments, row.IssuedMs));

    public CommandRow? GetCommand(string deviceId, string id) => Read(() =>
        _read.Query<CommandRow>("SELECT * FROM commands WHERE id = ? AND device_id = ?", id, deviceId).FirstOrDefault());

    /// <summary>Stores the device's result of its command; false for an unknown command id of that device.</summary>
    public bool SetCommandResult(string deviceId, string id, string result, long completedMs) => Write(() =>
        _write.Execute("UPDATE commands SET result = ?, completed_ms = ? WHERE id = ? AND device_id = ?", result, completedMs, id, deviceId) == 1);

    public void Dispose()
    {
        lock (_writeLock)
        {
            lock (_readLock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                _insertRecord.Dispose();
                _touchDevice.Dispose();
                _read.Dispose();
                _write.Dispose();
            }
        }
    }

    private void InsertAssignment(AssignmentRow row)
    {
        _write.Execute("INSERT INTO assignments(model, version, device_id, tag, strategy, rollout, created_ms) VALUES (?,?,?,?,?,?,?)",
            row.Model, row.Version, row.DeviceId, row.Tag, row.Strategy, row.Rollout, row.CreatedMs);
        row.Id = SQLite3.LastInsertRowid(_write.Handle);
    }

    private void UpdateDeploymentRow(DeploymentRow row) => _write.Execute(
        "UPDATE deployments SET state = ?, current_ring = ?, ring_started_ms = ?, reason = ?, updated_ms = ?, assignment_ids = ? WHERE id = ?",
        row.State, row.CurrentRing, row.RingStartedMs, row.Reason, row.UpdatedMs, row.AssignmentIds, row.Id);

    private void InsertTransition(DeploymentTransitionRow transition) => _write.Execute(
        "INSERT INTO deployment_transitions(deployment_id, at_ms, state, ring, reason) VALUES (?,?,?,?,?)",
        transition.DeploymentId, transition.AtMs, transition.State, transition.Ring, transition.Reason);

    private static SQLiteConnection Open(string path)
    {
        var connection = new SQLiteConnection(path, SQLiteOpenFlags.ReadWrite | SQLiteOpenFlags.Create | SQLiteOpenFlags.FullMutex, storeDateTimeAsTicks: true);
        connection.BusyTimeout = TimeSpan.FromSeconds(10);
        return connection;
    }

    /// <summary>A firing alert, or a drift report whose <c>state</c> is <c>alert</c>.</summary>
    private static bool IsAlert(string type, ReadOnlySpan<byte> payload)
    {
        if (type == TelemetryRecordTypes.AlertFiring)
        {
            return true;
        }

        if (type != TelemetryRecordTypes.DriftReport)
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isState = reader.ValueTextEquals(StateProperty);
                reader.Read();
                if (isState)
                {
                    return reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(DriftAlertState);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    private T Read<T>(Func<T> read)
    {
        lock (_readLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return read();
        }
    }

    private T Write<T>(Func<T> write)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return write();
        }
    }

    private void Write(Action write)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            write();
        }
    }
}
