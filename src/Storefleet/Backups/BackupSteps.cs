using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Cluster;
using Storefleet.Data;
using Storefleet.Provisioning;
using Storefleet.Stores;

namespace Storefleet.Backups;

/// <summary>
/// The backup part of a reconcile step, run by <see cref="StoreReconciler"/> after <see cref="StoreDecision"/>:
/// reads what <see cref="BackupDecision"/> needs, takes its one action (an idempotent Job call), records the outcome
/// on the backup row and the store (written with the store at the lease's end), and returns the decision the
/// store's status follows instead (or null: the store's own decision stands).
/// Crash-safe like every step: the Jobs are named by backup id and restore request, so a worker that dies after
/// creating one finds it again; a row update lost with the worker is observed again from the Job.
/// </summary>
public sealed class BackupSteps(IStoreCluster cluster, IBackupStorage storage, IOptions<BackupOptions> options, ReconcilePolicy policy, ILogger<BackupSteps> log)
{
    public const string Restored = "Restored";

    public async Task<Decision?> StepAsync(StorefleetDb db, Store store, StoreObservation seen, Decision decision, List<StoreEvent> events, DateTime now, CancellationToken ct)
    {
        if (store.DeletionRequestedAt is not null) return null;
        // Free for a store without backup work, which is nearly every step of a steady fleet: the row itself says
        // whether a restore was asked for (RestoreBackupId), a backup is queued (PendingBackupId) or a new chart version
        // is about to be applied (its pre-upgrade backup). Only then are the facts read.
        var upgrading = storage.Enabled && BackupDecision.Upgrading(store, seen);
        if (store.RestoreBackupId is null && store.PendingBackupId is null && !upgrading) return null;
        var facts = await FactsAsync(db, store, upgrading, ct);
        var step = BackupDecision.Decide(store, seen, decision, facts, storage.Enabled, now, options.Value);
        var target = new StoreRef(store.Id, store.Slug);
        switch (step.Action)
        {
            case BackupAction.StartPreUpgradeBackup:
                var backup = New(store, BackupKind.PreUpgrade, now, storage.Prefix, store.ChartVersion);
                db.StoreBackups.Add(backup);
                // Saved with the backup row, in the same transaction (the lease's write).
                store.PendingBackupId = backup.Id;
                events.Add(StoreEvent.Normal(store.Id, now, "PreUpgradeBackup",
                    $"Taking a backup before upgrading from chart {seen.Release.ChartVersion} to {store.ChartVersion}."));
                return await RunBackupAsync(target, store, backup, decision, events, now, ct);
            case BackupAction.RunBackup:
                return await RunBackupAsync(target, store, step.Backup!, decision, events, now, ct);
            case BackupAction.FailBackup:
                Finish(store, step.Backup!, BackupState.Failed, step.Message, now);
                events.Add(StoreEvent.Warning(store.Id, now, "BackupFailed", step.Message));
                return null;
            case BackupAction.RunRestore:
                return await RunRestoreAsync(target, store, step.Backup!, decision, events, now, ct);
            case BackupAction.FailRestore:
                return RestoreFailed(store, decision, step.Message, events, now);
            case BackupAction.FinishRestore:
                // The Restored condition turning True is the store's "Restored" event.
                const string back = "The store is back from its backup and was verified like a new store (setup Job, a test order through the Store API).";
                store.RestoreBackupId = null;
                store.RestoredAt = null;
                return decision with { Conditions = WithRestored(decision.Conditions, StoreConditions.True, Restored, back, now) };
        }
        // Applied and being verified: the tenant sees Restoring until Ready, not a re-provisioning.
        if (store.RestoreBackupId is not null && store.RestoredAt is not null && decision.Phase is StorePhase.Provisioning or StorePhase.Pending)
            return decision with { Phase = StorePhase.Restoring, Conditions = WithRestored(decision.Conditions, "False", "Verifying", "The backup is in place; the setup Job verifies the store.", now) };
        return null;
    }

    /// <summary>
    /// Queues a backup of <paramref name="store"/>: the row (saved by the caller), and on the store the marker and a due
    /// time of now (the engine takes it on its next look). Call inside a transaction that also saves the row, so that
    /// the marker and the row commit together: a queued backup without its marker would never run.
    /// </summary>
    public static async Task<StoreBackup> QueueAsync(StorefleetDb db, Store store, BackupKind kind, DateTime now, string prefix, CancellationToken ct)
    {
        var backup = New(store, kind, now, prefix);
        db.StoreBackups.Add(backup);
        await db.Stores.Where(s => s.Id == store.Id).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.PendingBackupId, backup.Id)
            .SetProperty(x => x.DueAt, x => x.DueAt > now ? now : x.DueAt), ct);
        return backup;
    }

    public static StoreBackup New(Store store, BackupKind kind, DateTime now, string prefix, string? chartVersion = null)
    {
        var id = Guid.CreateVersion7();
        return new StoreBackup
        {
            Id = id, StoreId = store.Id, OwnerId = store.OwnerId, Kind = kind, State = BackupState.Pending, CreatedAt = now,
            ChartVersion = chartVersion, ObjectKey = StoreBackup.KeyFor(prefix, store.Id, id),
        };
    }

    /// <summary>
    /// From the database, seen through this lease's unsaved changes (writes are deferred to the lease's end): a backup
    /// completed or created earlier in the same lease counts as it is now, not as the database still has it. Reads only
    /// what can matter: the active backup when the store's marker says one was queued, whether the upgrade may go ahead
    /// when one is about to be applied, the backup to restore when one is asked for.
    /// </summary>
    private static async Task<BackupFacts> FactsAsync(StorefleetDb db, Store store, bool upgrading, CancellationToken ct)
    {
        StoreBackup? active = null;
        if (store.PendingBackupId is not null)
        {
            var stored = await db.StoreBackups.Where(b => b.StoreId == store.Id).Where(StoreBackup.IsActive).ToListAsync(ct);
            active = stored.Concat(db.StoreBackups.Local.Where(b => b.StoreId == store.Id))
                .Where(b => b.Active).OrderBy(b => b.CreatedAt).FirstOrDefault();
            // Nothing left to do (or a marker left set by a crash): cleared with the lease's write. A backup queued
            // meanwhile changed the marker, a concurrency token, so that write fails and the store is looked at again.
            if (active is null) store.PendingBackupId = null;
        }
        var preUpgradeDone = upgrading
            && (db.StoreBackups.Local.Any(b => b.StoreId == store.Id && b.ChartVersion == store.ChartVersion && b.LetsUpgradeProceed)
                || await db.StoreBackups.Where(b => b.StoreId == store.Id && b.ChartVersion == store.ChartVersion).AnyAsync(StoreBackup.ClearsUpgrade, ct));
        var source = store.RestoreBackupId is { } id ? await db.StoreBackups.FirstOrDefaultAsync(b => b.Id == id, ct) : null;
        return new BackupFacts(active, preUpgradeDone, source);
    }

    private async Task<Decision?> RunBackupAsync(StoreRef target, Store store, StoreBackup backup, Decision decision, List<StoreEvent> events, DateTime now, CancellationToken ct)
    {
        var preUpgrade = backup.Kind == BackupKind.PreUpgrade;
        if (backup.State == BackupState.Pending)
        {
            backup.State = BackupState.Running;
            backup.StartedAt = now;
            events.Add(StoreEvent.Normal(store.Id, now, "BackupStarted", $"Backing up the database and wp-content ({backup.Kind.Wire()} backup {backup.Id})."));
        }
        var status = await cluster.BackupAsync(target, new BackupJob(backup.Id, storage.PresignUpload(backup.ObjectKey, options.Value.UrlLifetime)), ct);
        switch (status.State)
        {
            case JobState.Running:
                backup.Message = status.Message;
                // Waiting on the Job: a short poll. An upgrade waits for it; a steady store stays as it is.
                return preUpgrade
                    ? Hold(store, decision, Requeue.Poll, "BackingUpBeforeUpgrade", $"Taking a backup before the upgrade to chart {store.ChartVersion}: {status.Message}", now)
                    : decision with { Requeue = Requeue.Poll };
            case JobState.Completed:
                backup.SizeBytes = status.SizeBytes;
                backup.Sha256 = status.Sha256;
                Finish(store, backup, BackupState.Completed, status.Message, now);
                events.Add(StoreEvent.Normal(store.Id, now, "BackupCompleted", $"Backup {backup.Id} is in the bucket: {status.Message}"));
                return preUpgrade ? Hold(store, decision, Requeue.Now, "BackedUpBeforeUpgrade", $"Backed up; upgrading to chart {store.ChartVersion}.", now) : null;
            case JobState.NoTemplate when preUpgrade:
                // A store on a chart from before backups cannot take one: upgrading is what brings the templates.
                Finish(store, backup, BackupState.Skipped, status.Message, now);
                events.Add(StoreEvent.Warning(store.Id, now, "PreUpgradeBackupSkipped", $"No backup before this upgrade: {status.Message}"));
                return Hold(store, decision, Requeue.Now, "PreUpgradeBackupSkipped", "The store's chart cannot take backups yet; upgrading.", now);
            default: // Failed, or no template for a backup the tenant or the schedule asked for: nothing was backed up
                Finish(store, backup, BackupState.Failed, status.Message, now);
                events.Add(StoreEvent.Warning(store.Id, now, "BackupFailed", $"Backup {backup.Id} failed: {status.Message}"));
                log.LogWarning("Backup {BackupId} of store {StoreId} failed: {Message}", backup.Id, store.Id, status.Message);
                // No upgrade without its backup: try again with backoff; the store keeps running its current version.
                return preUpgrade
                    ? Hold(store, decision, Requeue.Backoff, "PreUpgradeBackupFailed", $"The upgrade to chart {store.ChartVersion} waits for a backup, and the last one failed: {status.Message} It is tried again.", now)
                    : null;
        }
    }

    private async Task<Decision?> RunRestoreAsync(StoreRef target, Store store, StoreBackup source, Decision decision, List<StoreEvent> events, DateTime now, CancellationToken ct)
    {
        // One Job per restore request: the API bumps the generation with each one.
        var job = new RestoreJob($"g{store.Generation}", source.Id, storage.PresignDownload(source.ObjectKey, options.Value.UrlLifetime), source.Sha256!);
        var status = await cluster.RestoreAsync(target, job, ct);
        var what = $"the {source.Kind.Wire()} backup of {source.CreatedAt:yyyy-MM-dd HH:mm} UTC";
        switch (status.State)
        {
            case JobState.Running:
                return Restoring(decision, Requeue.Poll, "Restoring", $"Restoring {what}: {status.Message}", now);
            case JobState.Completed:
                store.RestoredAt = now;
                // A new generation: the release is applied again, so the setup Job verifies the restored store like a new one.
                store.Generation++;
                // A clone's provisioning deadline started before a restore that may have taken long: verifying gets a fresh one.
                if (store.ReadyAt is null) store.ProvisioningDeadline = now + policy.ProvisioningTimeout;
                events.Add(StoreEvent.Normal(store.Id, now, "RestoreApplied", $"The database and wp-content of {what} are in place; verifying the store."));
                return Restoring(decision, Requeue.Now, "Verifying", $"Restored {what}; verifying the store.", now);
            default:
                return RestoreFailed(store, decision, $"Restoring {what} failed: {status.Message}", events, now);
        }
    }

    private static Decision? RestoreFailed(Store store, Decision decision, string message, List<StoreEvent> events, DateTime now)
    {
        store.RestoreBackupId = null;
        store.RestoredAt = null;
        // The restore script refuses a bad backup before it changes anything: a store restored in place is as it
        // was. A clone has nothing of its own to fall back to: it stops in Error for the tenant to delete.
        if (store.ReadyAt is not null)
        {
            events.Add(StoreEvent.Warning(store.Id, now, "RestoreFailed", message));
            return decision with { Conditions = WithRestored(decision.Conditions, StoreConditions.False, "RestoreFailed", message, now) };
        }
        var clone = $"{message} This store was to be a copy and holds none of the backup's data; delete it. The backup and the store it came from are unchanged.";
        return decision with
        {
            Action = StepAction.GiveUp, Phase = StorePhase.Error, Requeue = Requeue.Never, Reason = "RestoreFailed", Message = clone, RestartsProvisioning = false,
            Conditions = WithRestored(StoreConditions.WithReady(decision.Conditions, StoreConditions.False, "RestoreFailed", clone, now), StoreConditions.False, "RestoreFailed", clone, now),
        };
    }

    private static void Finish(Store store, StoreBackup backup, BackupState state, string message, DateTime now)
    {
        // The backup the marker names is over: the store has no backup work left (one backup runs at a time).
        if (store.PendingBackupId == backup.Id) store.PendingBackupId = null;
        backup.State = state;
        backup.Message = message.Length > 2000 ? message[..2000] : message;
        backup.CompletedAt = now;
    }

    /// <summary>The store stays where it is (Ready stays Ready) while a pre-upgrade backup runs: nothing else is done this step.</summary>
    private static Decision Hold(Store store, Decision decision, Requeue requeue, string reason, string message, DateTime now)
    {
        var phase = store.Phase is StorePhase.Pending ? StorePhase.Provisioning : store.Phase;
        return decision with
        {
            Action = StepAction.Wait, Phase = phase, Requeue = requeue, Reason = reason, Message = message, RestartsProvisioning = false,
            Conditions = StoreConditions.WithReady(decision.Conditions, phase == StorePhase.Ready ? "True" : "False", reason, message, now),
        };
    }

    private static Decision Restoring(Decision decision, Requeue requeue, string reason, string message, DateTime now) => decision with
    {
        Action = StepAction.Wait, Phase = StorePhase.Restoring, Requeue = requeue, Reason = reason, Message = message, RestartsProvisioning = false,
        Conditions = WithRestored(StoreConditions.WithReady(decision.Conditions, "False", reason, message, now), "False", reason, message, now),
    };

    /// <summary>The Restored condition: False while a restore is under way or after one failed, True after the last one succeeded.</summary>
    private static List<StoreCondition> WithRestored(IEnumerable<StoreCondition> conditions, string status, string reason, string message, DateTime now)
    {
        var list = StoreConditions.Copy(conditions);
        StoreConditions.Set(list, Restored, status, reason, message, now);
        return list;
    }
}
