using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Storefleet.Cluster;

public sealed class SimulatedClusterOptions
{
    /// <summary>Latency of every mutating call (namespace, credentials, install, uninstall…).</summary>
    public TimeSpan StepDelay { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Latency of an observation.</summary>
    public TimeSpan ObserveDelay { get; set; } = TimeSpan.Zero;
    /// <summary>From a first install to the setup Job completing; the database is ready at 40 %, WordPress at 70 %.</summary>
    public TimeSpan TimeToReady { get; set; } = TimeSpan.FromSeconds(8);
    public TimeSpan NamespaceTerminationDelay { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Chance that a call hits a random fault (see <see cref="SimulatedFault"/>); decided per store, call and attempt, so reruns are reproducible.</summary>
    public double FaultRate { get; set; }
    public int Seed { get; set; } = 42;
    /// <summary>Keep the simulated cluster in this file, so it survives a killed worker process (crash tests).</summary>
    public string? StateFile { get; set; }
    public string BaseDomain { get; set; } = "127.0.0.1.nip.io";
    /// <summary>From creating a backup Job to its upload completing.</summary>
    public TimeSpan BackupDuration { get; set; } = TimeSpan.FromSeconds(3);
    /// <summary>From creating a restore Job to the store's data being back.</summary>
    public TimeSpan RestoreDuration { get; set; } = TimeSpan.FromSeconds(3);
    /// <summary>
    /// The store chart versions the twin can install, by version. 0.1.0 is the version of charts/woocommerce-store;
    /// 0.2.0 is synthetic (no such chart exists) so that a fleet upgrade and its rollback can be tried without a cluster.
    /// Installing a version not listed here fails the way helm does for a missing chart version.
    /// </summary>
    public Dictionary<string, SimulatedChartVersion> ChartVersions { get; set; } = new()
    {
        ["0.1.0"] = new SimulatedChartVersion(),
        ["0.2.0"] = new SimulatedChartVersion { Synthetic = true },
    };
}

/// <summary>One chart version of the twin and its faults.</summary>
public sealed class SimulatedChartVersion
{
    /// <summary>Made up by the twin: there is no chart of this version.</summary>
    public bool Synthetic { get; set; }
    /// <summary>Share (0..1) of stores whose setup Job fails at this version: a bad release. Decided per store and version, so it fails again on every retry.</summary>
    public double SetupFailureShare { get; set; }
}

public enum SimulatedFault
{
    /// <summary>helm upgrade --install fails.</summary>
    InstallFails,
    /// <summary>The cluster cannot be read.</summary>
    ObserveFails,
    /// <summary>The setup Job of the next install fails.</summary>
    SetupJobFails,
    /// <summary>The install is interrupted and leaves the release in pending-install.</summary>
    ReleaseStuckPending,
    /// <summary>The namespace stays Terminating for a while (a stuck finalizer).</summary>
    NamespaceStuckTerminating,
    /// <summary>WordPress cannot pull its image for a while.</summary>
    ImagePullBackOff,
    /// <summary>The next backup Job fails (the object store refused the upload).</summary>
    BackupFails,
    /// <summary>The next restore Job refuses the backup (its checksum does not match) and changes nothing.</summary>
    RestoreFails,
}

/// <summary>
/// The simulated twin of <see cref="Kubernetes.KubernetesStoreCluster"/>: the same contract, in memory,
/// deterministic (stores become ready after set times; faults happen at a seeded rate, or per store when a
/// test injects them). It also keeps the books tests read: how many installs, namespaces and credentials each
/// store got, and whether two calls for one store ever overlapped (they must not: one worker holds a store's
/// lease). Tests reach that state only through <see cref="Access{T}"/>; the controls built on it live in the
/// test project (tests/Storefleet.Tests/Infrastructure/TwinControls.cs), not in this assembly.
/// </summary>
public sealed class SimulatedCluster : IStoreCluster
{
    private readonly SimulatedClusterOptions _options;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SimNamespace> _namespaces = [];
    private readonly Dictionary<(string Slug, SimulatedFault Fault), int> _injected = [];
    private readonly Dictionary<string, int> _inFlight = [];
    private readonly Dictionary<(string Slug, string Op), int> _calls = [];

    public SimulatedCluster(SimulatedClusterOptions options, TimeProvider clock)
    {
        _options = options;
        _clock = clock;
        if (options.StateFile is not null && File.Exists(options.StateFile))
            foreach (var ns in JsonSerializer.Deserialize<List<SimNamespace>>(File.ReadAllText(options.StateFile))!)
                _namespaces[ns.Slug] = ns;
    }

    /// <summary>The most calls for one store that were ever in progress at once. Must stay 1.</summary>
    private int _maxConcurrentCallsPerStore;

    /// <summary>
    /// The test seam (the test project builds its controls on it: fault injection, drift, planted objects, books).
    /// Runs <paramref name="use"/> on the twin's state under its lock; with <paramref name="save"/>, persists the
    /// state afterwards, so a change survives in <see cref="SimulatedClusterOptions.StateFile"/> like the twin's own.
    /// </summary>
    internal T Access<T>(Func<SimulatedClusterState, T> use, bool save = false)
    {
        lock (_gate)
        {
            var result = use(new SimulatedClusterState(_namespaces, _injected, Now, _options.TimeToReady, _maxConcurrentCallsPerStore));
            if (save) Save();
            return result;
        }
    }

    public async Task<StoreObservation> ObserveAsync(StoreRef store, CancellationToken ct)
    {
        using var _ = Enter(store);
        await Delay(_options.ObserveDelay, ct);
        if (Faulted(store, SimulatedFault.ObserveFails, "observe"))
            throw new ClusterException("ClusterUnreachable", "Simulated fault: the Kubernetes API did not answer (connection refused).");
        lock (_gate)
        {
            var now = Now;
            if (!_namespaces.TryGetValue(store.Slug, out var ns)) return StoreObservation.Nothing;
            if (ns.GoneAt is { } gone)
            {
                if (gone <= now)
                {
                    _namespaces.Remove(store.Slug);
                    Save();
                    return StoreObservation.Nothing;
                }
                return StoreObservation.Nothing with { Namespace = NamespaceState.Terminating, CredentialsExist = ns.Credentials is not null };
            }
            // Ownership, as the real driver sees it: nothing inside a namespace that is not the store's is read.
            if (!Owns(ns, store))
                return StoreObservation.Nothing with { Conflict = new(ConflictingObject.Namespace, store.Namespace, store.Namespace, ns.StoreId?.ToString()) };
            if (ns.Credentials is not null && ns.CredentialsOwner != store.Id)
                return StoreObservation.Nothing with
                {
                    Namespace = NamespaceState.Active,
                    Conflict = new(ConflictingObject.CredentialsSecret, "store-credentials", store.Namespace, ns.CredentialsOwner?.ToString()),
                };
            if (ns.Release is { State: not ReleaseState.Absent } foreign && foreign.StoreId != store.Id)
                return StoreObservation.Nothing with
                {
                    Namespace = NamespaceState.Active, CredentialsExist = ns.Credentials is not null,
                    Conflict = new(ConflictingObject.Release, store.ReleaseName, store.Namespace, foreign.StoreId?.ToString()),
                };
            var release = ns.Release;
            if (release is null || release.State == ReleaseState.Absent)
                return StoreObservation.Nothing with { Namespace = NamespaceState.Active, CredentialsExist = ns.Credentials is not null };

            var info = new ReleaseInfo(release.State, release.Revision, release.ChartVersion, release.UpdatedAt, release.Description);
            var since = now - release.InstalledAt;
            var warnings = new List<string>();
            var database = since >= Scale(0.4) ? new ComponentStatus(ComponentState.Ready, "MySQL is accepting connections")
                : new ComponentStatus(ComponentState.Progressing, "MySQL is starting (pod 0/1 ready)");
            ComponentStatus wordpress;
            if (release.ImagePullUntil > now)
            {
                wordpress = new ComponentStatus(ComponentState.Failed, "ImagePullBackOff: Back-off pulling image \"wordpress:6.8.3-php8.3-apache\"");
                warnings.Add("Failed: Failed to pull image \"wordpress:6.8.3-php8.3-apache\": rpc error: code = NotFound");
            }
            else
            {
                wordpress = since >= Scale(0.7) ? new ComponentStatus(ComponentState.Ready, "WordPress is serving")
                    : new ComponentStatus(ComponentState.Progressing, "WordPress is starting (pod 0/1 ready)");
            }
            var setup = release.State != ReleaseState.Deployed ? ComponentStatus.Absent
                : now < release.SetupDoneAt ? new ComponentStatus(ComponentState.Progressing, "Setup job is installing WooCommerce")
                : release.SetupFails ? new ComponentStatus(ComponentState.Failed, "Setup job failed: Cash on Delivery is not offered by the Store API")
                : new ComponentStatus(ComponentState.Ready, Kubernetes.Workloads.StoreConfiguredMessage);
            if (release.SetupFails && now >= release.SetupDoneAt)
                warnings.Add("BackoffLimitExceeded: Job has reached the specified backoff limit");
            // Plain HTTP and no per-store certificate, like values-local.yaml: TLS does not gate Ready here.
            return new StoreObservation(NamespaceState.Active, ns.Credentials is not null, info, database, wordpress, setup,
                $"http://{store.Slug}.{_options.BaseDomain}/", warnings, ns.Credentials?.AdminUser) { Certificate = null };
        }
    }

    public async Task EnsureNamespaceAsync(StoreRef store, CancellationToken ct)
    {
        using var _ = Enter(store);
        await Delay(_options.StepDelay, ct);
        lock (_gate)
        {
            if (_namespaces.TryGetValue(store.Slug, out var ns))
            {
                if (ns.GoneAt is not null)
                    throw new ClusterException("NamespaceTerminating", $"Namespace {store.Namespace} is still being deleted; it will be created again once it is gone.");
                if (!Owns(ns, store))
                {
                    ns.RefusedWrites++;
                    throw new ClusterException(ClusterException.NamespaceConflict, $"Namespace {store.Namespace} exists but is not this store's (storefleet.dev/store-id={ns.StoreId?.ToString() ?? "none"}); nothing was written to it.");
                }
                return;
            }
            _namespaces[store.Slug] = new SimNamespace { Slug = store.Slug, StoreId = store.Id, Managed = true, CreatedAt = Now, NamespacesCreated = 1 };
            Save();
        }
    }

    public async Task<StoreCredentials> EnsureCredentialsAsync(StoreRef store, CancellationToken ct)
    {
        using var _ = Enter(store);
        await Delay(_options.StepDelay, ct);
        lock (_gate)
        {
            var ns = Writable(store);
            if (ns.Credentials is null)
            {
                ns.Credentials = new StoreCredentials(StoreCredentials.DefaultAdminUser, RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 24));
                ns.CredentialsOwner = store.Id;
                ns.CredentialsCreated++;
                Save();
            }
            else if (ns.CredentialsOwner != store.Id)
            {
                ns.RefusedWrites++;
                throw new ClusterException(ClusterException.NamespaceConflict, $"Secret store-credentials in {store.Namespace} is not this store's; it was not used.");
            }
            return ns.Credentials;
        }
    }

    public async Task InstallAsync(StoreRelease release, CancellationToken ct)
    {
        var store = release.Store;
        using var _ = Enter(store);
        var interrupted = Faulted(store, SimulatedFault.ReleaseStuckPending, "install-pending");
        var fails = Faulted(store, SimulatedFault.InstallFails, "install");
        lock (_gate)
        {
            var ns = Writable(store);
            if (ns.Credentials is null)
                throw new ClusterException("CredentialsMissing", $"Secret store-credentials not found in {store.Namespace}; the chart needs it.");
            if (ns.Release is { State: ReleaseState.Pending })
                throw new ClusterException("ReleasePending", $"Another operation (install/upgrade/rollback) is in progress for release {store.ReleaseName}.");
            if (fails)
                throw new ClusterException("InstallFailed", "Simulated fault: helm upgrade --install failed: context deadline exceeded.");
            if (!_options.ChartVersions.ContainsKey(release.ChartVersion))
                throw new ClusterException("ChartVersionNotFound", $"Simulated: chart woocommerce-store version {release.ChartVersion} is not in the twin's catalog ({string.Join(", ", _options.ChartVersions.Keys)}).");
            var previous = ns.Release;
            ns.Release = new SimRelease
            {
                State = ReleaseState.Pending,
                Revision = (previous?.Revision ?? 0) + 1,
                ChartVersion = release.ChartVersion,
                StoreId = store.Id,
                UpdatedAt = Now,
                Description = previous is { State: not ReleaseState.Absent } ? "Preparing upgrade" : "Initial install underway",
                LastDeployedRevision = previous?.State == ReleaseState.Deployed ? previous.Revision : previous?.LastDeployedRevision,
                // Upgrades of a running store keep its pods; only the setup Job runs again.
                InstalledAt = previous is { State: ReleaseState.Deployed } ? previous.InstalledAt : Now,
            };
            ns.Installs++;
            Save();
        }
        if (interrupted)
            throw new ClusterException("InstallInterrupted", "Simulated fault: helm was interrupted; the release is left in pending-install.");
        await Delay(_options.StepDelay, ct);
        lock (_gate)
        {
            var ns = Live(store);
            var r = ns.Release!;
            r.State = ReleaseState.Deployed;
            r.Description = r.Revision == 1 ? "Install complete" : "Upgrade complete";
            r.UpdatedAt = Now;
            r.SetupDoneAt = Max(Now + Scale(0.3), r.InstalledAt + _options.TimeToReady);
            r.SetupFails = Take(store, SimulatedFault.SetupJobFails) || Random(store, "setup") || BadRelease(store, r.ChartVersion);
            if (Take(store, SimulatedFault.ImagePullBackOff)) r.ImagePullUntil = Now + _options.TimeToReady;
            Save();
        }
    }

    public async Task RecoverReleaseAsync(StoreRef store, CancellationToken ct)
    {
        using var _ = Enter(store);
        await Delay(_options.StepDelay, ct);
        lock (_gate)
        {
            var ns = Writable(store);
            if (ns.Release is not { State: ReleaseState.Pending or ReleaseState.Failed } r) return;
            if (r.LastDeployedRevision is { } last)
            {
                r.State = ReleaseState.Deployed;
                r.Revision++;
                r.Description = $"Rollback to {last}";
                r.SetupDoneAt = Now + Scale(0.3);
                r.SetupFails = false;
            }
            else
            {
                ns.Release = null;
            }
            Save();
        }
    }

    public async Task UninstallAsync(StoreRef store, CancellationToken ct)
    {
        using var _ = Enter(store);
        await Delay(_options.StepDelay, ct);
        lock (_gate)
        {
            if (_namespaces.TryGetValue(store.Slug, out var ns) && ns.Release is not null)
            {
                if (!Owns(ns, store)) Refuse(ns, store);
                ns.Release = null;
                Save();
            }
        }
    }

    public async Task DeleteNamespaceAsync(StoreRef store, CancellationToken ct)
    {
        using var _ = Enter(store);
        await Delay(_options.StepDelay, ct);
        var stuck = Faulted(store, SimulatedFault.NamespaceStuckTerminating, "delete-namespace");
        lock (_gate)
        {
            if (!_namespaces.TryGetValue(store.Slug, out var ns) || ns.GoneAt is not null) return;
            if (!Owns(ns, store))
            {
                ns.RefusedWrites++;
                throw new ClusterException(ClusterException.NamespaceConflict, $"Namespace {store.Namespace} is not this store's (storefleet.dev/store-id={ns.StoreId?.ToString() ?? "none"}); refusing to delete it.");
            }
            ns.GoneAt = Now + (stuck ? _options.NamespaceTerminationDelay * 10 : _options.NamespaceTerminationDelay);
            ns.Release = null;
            Save();
        }
    }

    public async IAsyncEnumerable<ManagedNamespace> ListManagedAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await Delay(_options.ObserveDelay, ct);
        List<ManagedNamespace> all;
        lock (_gate)
        {
            var now = Now;
            all = [.. _namespaces.Values
                .Where(n => n.Managed && (n.GoneAt is null || n.GoneAt > now))
                .Select(n => new ManagedNamespace($"store-{n.Slug}", n.StoreId, n.CreatedAt, n.GoneAt is not null))];
        }
        foreach (var ns in all) yield return ns;
    }

    public async Task<JobStatus> BackupAsync(StoreRef store, BackupJob job, CancellationToken ct)
    {
        using var _ = Enter(store);
        var status = await RunJobAsync(store, $"backup-{job.RunId}", _options.BackupDuration, SimulatedFault.BackupFails, "backup", ct);
        if (status.State != JobState.Completed) return status;
        // A deterministic size and checksum per backup, like a real object of a small store.
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{store.Id}/{job.BackupId}"));
        var size = 20_000_000L + BitConverter.ToUInt32(digest) % 10_000_000;
        return status with { SizeBytes = size, Sha256 = Convert.ToHexString(digest).ToLowerInvariant(), Message = $"Simulated: uploaded {size} bytes." };
    }

    public async Task<JobStatus> RestoreAsync(StoreRef store, RestoreJob job, CancellationToken ct)
    {
        using var _ = Enter(store);
        return await RunJobAsync(store, $"restore-{job.RunId}", _options.RestoreDuration, SimulatedFault.RestoreFails, "restore", ct);
    }

    /// <summary>A Job in the store's namespace: created on the first call, done after <paramref name="duration"/>, failed when a fault says so.</summary>
    private async Task<JobStatus> RunJobAsync(StoreRef store, string name, TimeSpan duration, SimulatedFault fault, string op, CancellationToken ct)
    {
        await Delay(_options.ObserveDelay, ct);
        lock (_gate)
        {
            var ns = Writable(store);
            var created = false;
            if (!ns.Jobs.TryGetValue(name, out var simJob))
            {
                ns.Jobs[name] = simJob = new SimJob { StartedAt = Now, DoneAt = Now + duration, Fails = Take(store, fault) || Random(store, op) };
                created = true;
                Save();
            }
            if (Now < simJob.DoneAt)
                return JobStatus.Running(created ? $"Simulated: Job {store.ReleaseName}-{name} created." : $"Simulated: Job {store.ReleaseName}-{name} is running.");
            if (simJob.Fails)
                return JobStatus.Failed(op == "backup"
                    ? "Simulated fault: backup FAILED: upload — curl: (22) The requested URL returned error: 403 (AccessDenied)"
                    : "Simulated fault: restore FAILED: the backup is corrupted or truncated: its sha256 does not match the one recorded; the store was not changed");
            return new JobStatus(JobState.Completed, $"Simulated: Job {store.ReleaseName}-{name} completed.");
        }
    }

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    private TimeSpan Scale(double fraction) => _options.TimeToReady * fraction;

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private SimNamespace Live(StoreRef store) =>
        _namespaces.TryGetValue(store.Slug, out var ns) && ns.GoneAt is null
            ? ns
            : throw new ClusterException("NamespaceMissing", $"Namespace {store.Namespace} does not exist.");

    /// <summary>The store's own live namespace. In one that is not, the real worker has no RoleBinding: Forbidden.</summary>
    private SimNamespace Writable(StoreRef store)
    {
        var ns = Live(store);
        if (!Owns(ns, store)) Refuse(ns, store);
        return ns;
    }

    private static bool Owns(SimNamespace ns, StoreRef store) => ns.Managed && ns.StoreId == store.Id;

    private void Refuse(SimNamespace ns, StoreRef store)
    {
        ns.RefusedWrites++;
        Save();
        throw new ClusterException("Forbidden", $"Simulated: the worker's service account may not write in namespace {store.Namespace} (it is not this store's, so the worker has no RoleBinding there).");
    }

    private Task Delay(TimeSpan delay, CancellationToken ct) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, _clock, ct) : Task.CompletedTask;

    /// <summary>An injected fault for this store, else a seeded random one.</summary>
    private bool Faulted(StoreRef store, SimulatedFault fault, string op)
    {
        lock (_gate) return Take(store, fault) || Random(store, op);
    }

    private bool Take(StoreRef store, SimulatedFault fault)
    {
        var left = _injected.GetValueOrDefault((store.Slug, fault));
        if (left <= 0) return false;
        _injected[(store.Slug, fault)] = left - 1;
        return true;
    }

    // Deterministic per (seed, store, operation, n-th call), whatever the interleaving of workers.
    private bool Random(StoreRef store, string op)
    {
        if (_options.FaultRate <= 0) return false;
        var n = _calls[(store.Slug, op)] = _calls.GetValueOrDefault((store.Slug, op)) + 1;
        var hash = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{_options.Seed}/{store.Slug}/{op}/{n}")));
        return hash / (double)ulong.MaxValue < _options.FaultRate;
    }

    /// <summary>Whether this store is among the share that a version's setup fails for: the same answer on every retry.</summary>
    private bool BadRelease(StoreRef store, string version)
    {
        var share = _options.ChartVersions.GetValueOrDefault(version)?.SetupFailureShare ?? 0;
        if (share <= 0) return false;
        var hash = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{_options.Seed}/{store.Slug}/chart/{version}")));
        return hash / (double)ulong.MaxValue < share;
    }

    private CallScope Enter(StoreRef store)
    {
        lock (_gate)
        {
            var n = _inFlight[store.Slug] = _inFlight.GetValueOrDefault(store.Slug) + 1;
            if (n > _maxConcurrentCallsPerStore) _maxConcurrentCallsPerStore = n;
        }
        return new CallScope(this, store.Slug);
    }

    private readonly struct CallScope(SimulatedCluster cluster, string slug) : IDisposable
    {
        public void Dispose()
        {
            lock (cluster._gate) cluster._inFlight[slug]--;
        }
    }

    private void Save()
    {
        if (_options.StateFile is null) return;
        var tmp = _options.StateFile + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(_namespaces.Values.ToList()));
        File.Move(tmp, _options.StateFile, overwrite: true);
    }

    internal sealed class SimNamespace
    {
        public required string Slug { get; set; }
        /// <summary>The storefleet.dev/store-id label; null: none.</summary>
        public Guid? StoreId { get; set; }
        /// <summary>Labelled app.kubernetes.io/managed-by=storefleet.</summary>
        public bool Managed { get; set; } = true;
        public Guid? CredentialsOwner { get; set; }
        /// <summary>Writes attempted on something that is not the caller's, and refused. The engine must never try.</summary>
        public int RefusedWrites { get; set; }
        public DateTime CreatedAt { get; set; }
        public DateTime? GoneAt { get; set; }
        public StoreCredentials? Credentials { get; set; }
        public SimRelease? Release { get; set; }
        public int NamespacesCreated { get; set; }
        public int CredentialsCreated { get; set; }
        public int Installs { get; set; }
        /// <summary>Backup and restore Jobs by name (they stay after completion, like Jobs with a TTL).</summary>
        public Dictionary<string, SimJob> Jobs { get; set; } = [];
    }

    internal sealed class SimJob
    {
        public DateTime StartedAt { get; set; }
        public DateTime DoneAt { get; set; }
        public bool Fails { get; set; }
    }

    internal sealed class SimRelease
    {
        public ReleaseState State { get; set; }
        public int Revision { get; set; }
        public string ChartVersion { get; set; } = "";
        public string Description { get; set; } = "";
        public DateTime UpdatedAt { get; set; }
        public DateTime InstalledAt { get; set; }
        public DateTime SetupDoneAt { get; set; }
        public bool SetupFails { get; set; }
        public DateTime ImagePullUntil { get; set; }
        public int? LastDeployedRevision { get; set; }
        /// <summary>store.id in the release's values.</summary>
        public Guid? StoreId { get; set; }
    }
}

/// <summary>The twin's state as <see cref="SimulatedCluster.Access{T}"/> hands it out: live collections (change them only inside the call) and the twin's clock.</summary>
internal sealed record SimulatedClusterState(
    Dictionary<string, SimulatedCluster.SimNamespace> Namespaces,
    Dictionary<(string Slug, SimulatedFault Fault), int> InjectedFaults,
    DateTime Now,
    TimeSpan TimeToReady,
    int MaxConcurrentCallsPerStore);
