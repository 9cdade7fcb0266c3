using Storefleet.Backups;
using Storefleet.Cluster;
using Storefleet.Provisioning;
using Storefleet.Stores;

namespace Storefleet.Tests.Backups;

/// <summary>The backup decision as a table: (store, observation, the store's own decision, backup facts) → backup action.</summary>
public class BackupDecisionTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly ComponentStatus Up = new(ComponentState.Ready, "ready");
    private static readonly ComponentStatus Starting = new(ComponentState.Progressing, "starting");

    private static StoreObservation Seen(string chart = "0.1.0", ComponentStatus? db = null, ComponentStatus? setup = null) =>
        new(NamespaceState.Active, true, new ReleaseInfo(ReleaseState.Deployed, 1, chart, Now.AddHours(-1), "Install complete"), db ?? Up, Up, setup ?? Up, "http://s.example/", [], "storeadmin");

    private static Store Store(Action<Store>? change = null)
    {
        var s = new Store
        {
            Id = Guid.NewGuid(), Name = "Ana", Slug = "ana", Engine = "woocommerce", ChartVersion = "0.1.0", Generation = 1, ObservedGeneration = 1,
            Phase = StorePhase.Ready, ReadyAt = Now.AddDays(-1),
        };
        change?.Invoke(s);
        return s;
    }

    private static StoreBackup Backup(BackupState state = BackupState.Pending, DateTime? created = null) => new()
    {
        Id = Guid.NewGuid(), ObjectKey = "k", State = state, CreatedAt = created ?? Now.AddMinutes(-1), Sha256 = state == BackupState.Completed ? new string('a', 64) : null,
    };

    private static readonly Decision Steady = new(StepAction.Wait, StorePhase.Ready, Requeue.Resync, "StoreReady", "up", []);
    private static readonly Decision Upgrade = new(StepAction.Install, StorePhase.Provisioning, Requeue.Now, "Upgrading", "upgrading", []);
    private static readonly Decision Repairing = new(StepAction.Install, StorePhase.Error, Requeue.Backoff, "SetupFailed", "setup failed", []);
    private static readonly BackupFacts None = new(null, false, null);

    public static TheoryData<string, Store, StoreObservation, Decision, BackupFacts, bool, BackupAction> Rows => new()
    {
        { "a steady store with nothing asked: nothing", Store(), Seen(), Steady, None, true, BackupAction.None },
        { "a steady store with a pending backup: run it", Store(), Seen(), Steady, None with { Active = Backup() }, true, BackupAction.RunBackup },
        { "a store being repaired: the backup waits", Store(), Seen(), Repairing, None with { Active = Backup() }, true, BackupAction.None },
        { "a store whose database is down for too long: the backup fails", Store(), Seen(db: Starting), Steady, None with { Active = Backup(created: Now.AddHours(-1)) }, true, BackupAction.FailBackup },
        { "a new chart version: back up first", Store(s => { s.ChartVersion = "0.2.0"; s.Generation = 2; }), Seen(), Upgrade, None, true, BackupAction.StartPreUpgradeBackup },
        { "a new chart version already backed up: upgrade", Store(s => { s.ChartVersion = "0.2.0"; s.Generation = 2; }), Seen(), Upgrade, None with { PreUpgradeDone = true }, true, BackupAction.None },
        { "a retry at the same version: no backup", Store(s => s.Generation = 2), Seen(), Upgrade, None, true, BackupAction.None },
        { "a new chart version without backups configured: upgrade", Store(s => { s.ChartVersion = "0.2.0"; s.Generation = 2; }), Seen(), Upgrade, None, false, BackupAction.None },
        { "a first install is never a pre-upgrade", Store(s => { s.ChartVersion = "0.2.0"; s.Generation = 2; }), Seen(chart: ""), Upgrade, None, true, BackupAction.None },
        { "a restore of a completed backup on a running store", Store(s => s.RestoreBackupId = Guid.NewGuid()), Seen(), Upgrade, None with { RestoreSource = Backup(BackupState.Completed) }, true, BackupAction.RunRestore },
        { "a clone still being set up waits for its fresh store", Store(s => { s.RestoreBackupId = Guid.NewGuid(); s.ReadyAt = null; }), Seen(setup: Starting), Steady, None with { RestoreSource = Backup(BackupState.Completed) }, true, BackupAction.None },
        { "a restore of a backup that is gone fails", Store(s => s.RestoreBackupId = Guid.NewGuid()), Seen(), Steady, None, true, BackupAction.FailRestore },
        { "a restore applied and verified: finish", Store(s => { s.RestoreBackupId = Guid.NewGuid(); s.RestoredAt = Now; }), Seen(), Steady, None, true, BackupAction.FinishRestore },
        { "a restore applied, still verifying: the store's decision", Store(s => { s.RestoreBackupId = Guid.NewGuid(); s.RestoredAt = Now; }), Seen(setup: Starting), Upgrade, None, true, BackupAction.None },
        { "a store being deleted: never", Store(s => s.DeletionRequestedAt = Now), Seen(), Steady, None with { Active = Backup() }, true, BackupAction.None },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void TheBackupStepFollowsFromTheStoreAndWhatIsKnownOfItsBackups(string @case, Store store, StoreObservation seen, Decision decision, BackupFacts facts, bool enabled, BackupAction expected)
    {
        var step = BackupDecision.Decide(store, seen, decision, facts, enabled, Now, new BackupOptions());
        Assert.True(expected == step.Action, $"{@case}: expected {expected}, got {step.Action}");
    }
}
