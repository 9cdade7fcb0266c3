using Storefleet.Cluster;
using Storefleet.Provisioning;
using Storefleet.Stores;

namespace Storefleet.Backups;

public enum BackupAction
{
    /// <summary>Nothing about backups now: the store's own decision stands.</summary>
    None,
    /// <summary>Start (if Pending) or watch the store's active backup Job.</summary>
    RunBackup,
    /// <summary>The store is about to run another chart version: record a pre-upgrade backup, then run it.</summary>
    StartPreUpgradeBackup,
    /// <summary>Start or watch the restore Job.</summary>
    RunRestore,
    /// <summary>The restored store is Ready again (verified by the setup Job): the restore is over.</summary>
    FinishRestore,
    /// <summary>The backup to restore is gone or never completed: give up on the restore.</summary>
    FailRestore,
    /// <summary>The active backup waited too long for a store that is not running.</summary>
    FailBackup,
}

public sealed record BackupStep(BackupAction Action, StoreBackup? Backup = null, string Message = "")
{
    public static readonly BackupStep None = new(BackupAction.None);
}

/// <summary>What the engine knows about a store's backups when it decides (read from the database by <see cref="BackupSteps"/>).</summary>
/// <param name="Active">The oldest Pending or Running backup, if any (only read when the store's marker, <see cref="Store.PendingBackupId"/>, is set: without it there is none).</param>
/// <param name="PreUpgradeDone">A pre-upgrade backup for the chart version the store is about to run completed or was skipped (<see cref="StoreBackup.ClearsUpgrade"/>).</param>
/// <param name="RestoreSource">The backup <see cref="Store.RestoreBackupId"/> names, if it still exists.</param>
public sealed record BackupFacts(StoreBackup? Active, bool PreUpgradeDone, StoreBackup? RestoreSource);

/// <summary>
/// Observe → <b>decide</b> for backups, restores and clones: pure, like <see cref="StoreDecision"/>, and consulted
/// after it. Backups never interrupt a store that is being repaired or deleted: they run while the store runs.
/// </summary>
public static class BackupDecision
{
    /// <summary>A new chart version is about to be applied over a deployed release (not a first install, not a retry at the same version).</summary>
    public static bool Upgrading(Store store, StoreObservation seen) =>
        store.ObservedGeneration < store.Generation && seen.Release.ChartVersion.Length > 0 && seen.Release.ChartVersion != store.ChartVersion;

    public static BackupStep Decide(Store store, StoreObservation seen, Decision decision, BackupFacts facts, bool enabled, DateTime now, BackupOptions options)
    {
        if (store.DeletionRequestedAt is not null || seen.Conflict is not null) return BackupStep.None;
        var running = seen.Namespace == NamespaceState.Active && seen.AccessGranted && seen.Release.State == ReleaseState.Deployed
            && seen.Database.State == ComponentState.Ready && seen.WordPress.State == ComponentState.Ready;

        if (store.RestoreBackupId is { } restoreId)
        {
            // Applied: the store's own decision re-installs and the setup Job verifies; done once it is Ready.
            if (store.RestoredAt is not null)
                return decision.Phase == StorePhase.Ready ? new(BackupAction.FinishRestore) : BackupStep.None;
            if (facts.RestoreSource is not { State: BackupState.Completed, Sha256: not null } source)
                return new(BackupAction.FailRestore, Message: $"Backup {restoreId} no longer exists or never completed; nothing was restored.");
            // Not while the setup Job runs (it writes the same database); a clone waits until its fresh store is up.
            if (running && seen.Setup.State is ComponentState.Ready or ComponentState.Failed)
                return new(BackupAction.RunRestore, source);
            return BackupStep.None;
        }

        if (!enabled || !running)
        {
            if (facts.Active is { } stale && now - stale.CreatedAt > options.WaitForStore)
                return new(BackupAction.FailBackup, stale,
                    $"The store was not running for {options.WaitForStore.TotalMinutes:0} minutes after the backup was requested ({decision.Message.TrimEnd('.')}), so nothing was backed up.");
            return BackupStep.None;
        }

        // A new chart version is about to be applied (a fleet-upgrade wave set it): a backup first, once per target version.
        if (Upgrading(store, seen) && !facts.PreUpgradeDone)
            return facts.Active is { } first ? new(BackupAction.RunBackup, first) : new(BackupAction.StartPreUpgradeBackup);

        // Manual and scheduled backups run while the store is steady, never in the middle of a repair or upgrade.
        if (facts.Active is { } active && decision.Action == StepAction.Wait)
            return new(BackupAction.RunBackup, active);
        return BackupStep.None;
    }
}
