using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Storefleet.Auth;
using Storefleet.Backups;
using Storefleet.Cluster;
using Storefleet.Data;
using Storefleet.Provisioning;
using Storefleet.Stores;

namespace Storefleet.Tests.Backups;

/// <summary>
/// The backup part of a reconcile step against a real database (SQLite in memory, one per test) and a scripted cluster:
/// what it reads (nothing, for a store without backup work) and what it writes (the marker, a skipped backup).
/// </summary>
public sealed class BackupStepsTests : IAsyncLifetime
{
    private static readonly DateTime Now = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly ComponentStatus Up = new(ComponentState.Ready, "ready");
    private static readonly Decision Steady = new(StepAction.Wait, StorePhase.Ready, Requeue.Resync, "StoreReady", "up", []);
    private static readonly Decision Upgrade = new(StepAction.Install, StorePhase.Provisioning, Requeue.Now, "Upgrading", "upgrading", []);

    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private readonly BackupQueries _queries = new();
    private readonly ScriptedBackupJobs _cluster = new();
    private readonly BackupSteps _steps;
    private Store _store = null!;

    public BackupStepsTests() =>
        _steps = new BackupSteps(_cluster, new SimulatedBackupStorage(), Options.Create(new BackupOptions()), new ReconcilePolicy(), NullLogger<BackupSteps>.Instance);

    public async Task InitializeAsync()
    {
        await _connection.OpenAsync();
        await using var db = NewDb();
        await db.Database.EnsureCreatedAsync();
        var owner = new User { Id = Guid.NewGuid(), Email = "ana@example.com", PasswordHash = "x" };
        _store = new Store
        {
            Id = Guid.NewGuid(), OwnerId = owner.Id, Name = "Ana", Slug = "ana", Engine = "woocommerce", ChartVersion = "0.1.0",
            Generation = 1, ObservedGeneration = 1, Phase = StorePhase.Ready, ReadyAt = Now.AddDays(-1), CreatedAt = Now.AddDays(-2),
        };
        db.Users.Add(owner);
        db.Stores.Add(_store);
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    private StorefleetDb NewDb() =>
        new SqliteStorefleetDb(new DbContextOptionsBuilder<SqliteStorefleetDb>().UseSqlite(_connection).AddInterceptors(_queries).Options);

    private static StoreObservation Seen(string chart = "0.1.0") =>
        new(NamespaceState.Active, true, new ReleaseInfo(ReleaseState.Deployed, 1, chart, Now.AddHours(-1), "Install complete"), Up, Up, Up, "http://s.example/", [], "storeadmin");

    private async Task<(StorefleetDb Db, Store Store)> Lease()
    {
        var db = NewDb();
        return (db, await db.Stores.SingleAsync(s => s.Id == _store.Id));
    }

    private Task<Decision?> Step(StorefleetDb db, Store store, Decision decision, StoreObservation? seen = null, List<StoreEvent>? events = null) =>
        _steps.StepAsync(db, store, seen ?? Seen(), decision, events ?? [], Now, default);

    [Fact]
    public async Task AStoreWithoutBackupWorkTakesItsStepWithoutReadingBackups()
    {
        var (db, store) = await Lease();
        await using var _ = db;
        _queries.Clear();

        var outcome = await Step(db, store, Steady);

        Assert.Null(outcome);
        Assert.Equal(0, _queries.Count);
        Assert.Equal(0, _cluster.Calls);
    }

    [Fact]
    public async Task AMarkerLeftSetFindsNothingAndIsClearedSoTheNextStepIsFreeAgain()
    {
        await using (var db = NewDb())
            await db.Stores.Where(s => s.Id == _store.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.PendingBackupId, Guid.NewGuid()));

        var (first, store) = await Lease();
        await using (first)
        {
            _queries.Clear();
            Assert.Null(await Step(first, store, Steady));
            Assert.Equal(1, _queries.Count);
            await first.SaveChangesAsync();
        }
        var (second, again) = await Lease();
        await using (second)
        {
            _queries.Clear();
            Assert.Null(again.PendingBackupId);
            Assert.Null(await Step(second, again, Steady));
            Assert.Equal(0, _queries.Count);
        }
    }

    [Fact]
    public async Task ABackupQueuedWhileAWorkerClearsAStaleMarkerIsNotLost()
    {
        await using (var db = NewDb())
            await db.Stores.Where(s => s.Id == _store.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.PendingBackupId, Guid.NewGuid()));
        var (worker, store) = await Lease();
        await using (worker)
        {
            Assert.Null(await Step(worker, store, Steady)); // finds nothing: clears the marker in its pending write

            // Meanwhile the API queues a backup, as StartBackup does.
            StoreBackup queued;
            await using (var api = NewDb())
            {
                await using var tx = await api.Database.BeginTransactionAsync();
                queued = await BackupSteps.QueueAsync(api, store, BackupKind.Manual, Now, "storefleet", default);
                await api.SaveChangesAsync();
                await tx.CommitAsync();
            }

            // The worker's write would erase the new marker: it fails instead (the reconciler then hands the store back to the queue).
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => worker.SaveChangesAsync());

            var (next, fresh) = await Lease();
            await using (next)
            {
                Assert.Equal(queued.Id, fresh.PendingBackupId);
                Assert.NotNull(await Step(next, fresh, Steady)); // the next look runs it
                Assert.Equal([queued.Id], _cluster.BackupIds);
            }
        }
    }

    [Fact]
    public async Task APreUpgradeBackupOfAStoreWhoseChartHasNoBackupTemplateIsSkippedAndTheUpgradeGoesAhead()
    {
        _cluster.Answer = JobStatus.NoTemplate("The store's chart has no backup template (CronJob store-ana-backup): it is from before backups.");
        await using (var db = NewDb())
            await db.Stores.Where(s => s.Id == _store.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ChartVersion, "0.2.0").SetProperty(x => x.Generation, 2));
        var (lease, store) = await Lease();
        var events = new List<StoreEvent>();
        await using (lease)
        {
            var held = await Step(lease, store, Upgrade, Seen(chart: "0.1.0"), events);
            Assert.Equal(("PreUpgradeBackupSkipped", Requeue.Now), (held!.Reason, held.Requeue));
            // The same lease, the backup not saved yet: the upgrade goes ahead (the store's own decision stands).
            Assert.Null(await Step(lease, store, Upgrade, Seen(chart: "0.1.0")));
            await lease.SaveChangesAsync();
        }

        // The next lease reads the skipped backup from the database: still no second attempt.
        var (next, again) = await Lease();
        await using (next) Assert.Null(await Step(next, again, Upgrade, Seen(chart: "0.1.0")));
        await using var check = NewDb();
        var backup = await check.StoreBackups.SingleAsync();
        Assert.Equal((BackupKind.PreUpgrade, BackupState.Skipped, "0.2.0"), (backup.Kind, backup.State, backup.ChartVersion));
        Assert.Contains("no backup template", backup.Message);
        Assert.Null(again.PendingBackupId);
        Assert.Equal(1, _cluster.Calls);
        Assert.Contains(events, e => e is { Reason: "PreUpgradeBackupSkipped", Type: "Warning" });
    }

    [Fact]
    public async Task AManualBackupOfAStoreWhoseChartHasNoBackupTemplateFailsSayingWhy()
    {
        _cluster.Answer = JobStatus.NoTemplate("The store's chart has no backup template (CronJob store-ana-backup): it is from before backups.");
        await using (var api = NewDb())
        {
            await using var tx = await api.Database.BeginTransactionAsync();
            await BackupSteps.QueueAsync(api, _store, BackupKind.Manual, Now, "storefleet", default);
            await api.SaveChangesAsync();
            await tx.CommitAsync();
        }
        var (lease, store) = await Lease();
        await using (lease)
        {
            Assert.Null(await Step(lease, store, Steady));
            await lease.SaveChangesAsync();
        }

        await using var check = NewDb();
        var backup = await check.StoreBackups.SingleAsync();
        Assert.Equal(BackupState.Failed, backup.State);
        Assert.Contains("no backup template", backup.Message);
        Assert.Null((await check.Stores.SingleAsync()).PendingBackupId);
    }

    /// <summary>Counts the statements that touch StoreBackups.</summary>
    private sealed class BackupQueries : DbCommandInterceptor
    {
        private int _count;
        public int Count => _count;
        public void Clear() => _count = 0;

        private void Saw(DbCommand command)
        {
            if (command.CommandText.Contains("\"StoreBackups\"", StringComparison.Ordinal)) Interlocked.Increment(ref _count);
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken ct = default)
        {
            Saw(command);
            return base.ReaderExecutingAsync(command, eventData, result, ct);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken ct = default)
        {
            Saw(command);
            return base.ScalarExecutingAsync(command, eventData, result, ct);
        }
    }

    /// <summary>A cluster whose backup Jobs answer <see cref="Answer"/>; the backup step calls nothing else.</summary>
    private sealed class ScriptedBackupJobs : IStoreCluster
    {
        public JobStatus Answer { get; set; } = JobStatus.Running("Job created.");
        public List<Guid> BackupIds { get; } = [];
        public int Calls => BackupIds.Count;

        public Task<JobStatus> BackupAsync(StoreRef store, BackupJob job, CancellationToken ct)
        {
            BackupIds.Add(job.BackupId);
            return Task.FromResult(Answer);
        }

        public Task<JobStatus> RestoreAsync(StoreRef store, RestoreJob job, CancellationToken ct) => throw Unused();
        public Task<StoreObservation> ObserveAsync(StoreRef store, CancellationToken ct) => throw Unused();
        public Task EnsureNamespaceAsync(StoreRef store, CancellationToken ct) => throw Unused();
        public Task<StoreCredentials> EnsureCredentialsAsync(StoreRef store, CancellationToken ct) => throw Unused();
        public Task InstallAsync(StoreRelease release, CancellationToken ct) => throw Unused();
        public Task RecoverReleaseAsync(StoreRef store, CancellationToken ct) => throw Unused();
        public Task UninstallAsync(StoreRef store, CancellationToken ct) => throw Unused();
        public Task DeleteNamespaceAsync(StoreRef store, CancellationToken ct) => throw Unused();
        public IAsyncEnumerable<ManagedNamespace> ListManagedAsync(CancellationToken ct) => throw Unused();
        private static NotSupportedException Unused() => new("The backup step does not call this.");
    }
}
