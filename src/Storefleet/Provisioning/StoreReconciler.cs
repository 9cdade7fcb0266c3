using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Backups;
using Storefleet.Cluster;
using Storefleet.Data;
using Storefleet.Notifications;
using Storefleet.Secrets;
using Storefleet.Stores;

namespace Storefleet.Provisioning;

public sealed class WorkerOptions
{
    /// <summary>Stores acted on at once by one worker process. Waiting stores cost nothing: they wait in the database.</summary>
    public int Concurrency { get; set; } = 32;
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Steps taken in one lease while each makes progress, before the store goes back to the queue.</summary>
    public int MaxStepsPerLease { get; set; } = 8;
    /// <summary>Within one lease, progress is written at least this often (and always when the lease ends).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Upper bound on an idle worker's sleep: a safety net should a wake-up notification be lost.</summary>
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Drives one leased store toward its spec: observe → decide → act (one idempotent call) → write phase,
/// conditions and events → set the next due time. Safe to kill at any point: nothing it does depends on
/// memory of an earlier step, and every write is fenced by the lease and the spec's generation.
/// </summary>
public sealed class StoreReconciler(
    IDbContextFactory<StorefleetDb> databases, IStoreCluster cluster, CredentialProtector protector,
    ReconcilePolicy policy, TimeProvider clock, ProvisioningMetrics metrics, IStoreNotifier notifier, IOptions<StoreOptions> storeOptions,
    BackupSteps backups, ILogger<StoreReconciler> log)
{
    private enum StepOutcome { Continue, Scheduled, Forgotten }

    /// <summary>
    /// Reconciles a leased store, with one database context and the store loaded once: steps follow each other
    /// while each makes progress (up to <paramref name="maxSteps"/>), then the lease is given back with the next
    /// due time. Results are written at the end and whenever <see cref="WorkerOptions.FlushInterval"/> has passed,
    /// so slow real steps show up live while instant simulated ones cost one write. Deferring is safe: every
    /// action is idempotent and observed again by whoever holds the lease next.
    /// </summary>
    public async Task ReconcileAsync(Guid id, string owner, int maxSteps, TimeSpan flushInterval, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var leased = await db.Stores.Where(s => s.Id == id && s.LeaseOwner == owner)
            .Select(s => new { Store = s, OwnerEmail = db.Users.Where(u => u.Id == s.OwnerId).Select(u => u.Email).FirstOrDefault() })
            .SingleOrDefaultAsync(ct);
        if (leased is null) return; // deleted, or our lease was taken over
        var store = leased.Store;
        var pending = new List<StoreEvent>();
        var sinceWrite = System.Diagnostics.Stopwatch.StartNew();
        for (var step = 1; ; step++)
        {
            var outcome = await StepAsync(db, store, leased.OwnerEmail ?? "", pending, ct);
            if (outcome == StepOutcome.Forgotten)
            {
                db.Stores.Remove(store);
                // Its namespace is gone: keep the slug from new stores for the grace period, in the same transaction.
                await SlugReservations.ReserveAsync(db, store.Slug, store.Id, clock.GetUtcNow().UtcDateTime + storeOptions.Value.SlugGracePeriod, ct);
                await SaveAsync(db, store, owner, pending, release: false, ct);
                return;
            }
            if (outcome == StepOutcome.Scheduled || step >= maxSteps)
            {
                // Out of steps but still progressing: DueAt is now, so it goes back to the queue and other stores get a turn.
                await SaveAsync(db, store, owner, pending, release: true, ct);
                return;
            }
            if (sinceWrite.Elapsed >= flushInterval)
            {
                if (!await SaveAsync(db, store, owner, pending, release: false, ct)) return;
                sinceWrite.Restart();
            }
        }
    }

    /// <summary>One observe → decide → act, applied to the tracked store; events go to <paramref name="events"/>.</summary>
    private async Task<StepOutcome> StepAsync(StorefleetDb db, Store store, string ownerEmail, List<StoreEvent> events, CancellationToken ct)
    {
        var id = store.Id;
        var now = clock.GetUtcNow().UtcDateTime;
        var target = new StoreRef(store.Id, store.Slug);
        if (store.Phase == StorePhase.Pending)
            events.Add(StoreEvent.Normal(id, now, "Provisioning", "A provisioning worker picked up the store."));
        if (store.DeletionRequestedAt is null && store.ProvisioningDeadline is null && store.ReadyAt is null)
            store.ProvisioningDeadline = now + policy.ProvisioningTimeout;

        Decision? decision = null;
        StepFailure? failure = null;
        try
        {
            var seen = await cluster.ObserveAsync(target, ct);
            decision = StoreDecision.Decide(store, seen, now, policy);
            // Backups, restores and clones: their own step (a Job) when one is due, else the store's decision stands.
            decision = await backups.StepAsync(db, store, seen, decision, events, now, ct) ?? decision;
            if (seen.StorefrontUrl is { } url && store.DeletionRequestedAt is null)
                (store.StorefrontUrl, store.AdminUrl) = (url, url.TrimEnd('/') + "/wp-admin/");
            await ActAsync(store, ownerEmail, decision, events, now, ct);
        }
        catch (ClusterException e)
        {
            failure = new StepFailure(e.Reason, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "Reconciling store {StoreId} failed unexpectedly", id);
            failure = new StepFailure(StoreReasons.InternalError, "An unexpected error occurred in the provisioning worker; it has been logged.");
        }
        if (decision is null || failure is not null)
        {
            // The failure path is decided like any other step (StoreDecision.Decide), and written the same way below.
            failure ??= new StepFailure(StoreReasons.InternalError, "The step ended without a decision.");
            metrics.Error(failure.Reason);
            decision = StoreDecision.Decide(store, failure, now, policy);
        }
        else metrics.Reconciled(decision.Action);

        var previousPhase = store.Phase;
        EventsForTransitions(store, decision, events, now);
        if (decision.Action == StepAction.GiveUp)
        {
            // ProvisioningTimedOut, or NamespaceConflict: terminal until a retry.
            events.Add(StoreEvent.Warning(id, now, decision.Reason, decision.Message));
            metrics.Error(decision.Reason);
        }
        store.Conditions = decision.Conditions.ToList();
        store.Phase = decision.Phase;
        store.Attempt = decision.Requeue == Requeue.Backoff ? store.Attempt + 1 : 0;
        if (decision.RestartsProvisioning)
        {
            store.ReadyAt = null;
            store.ProvisioningDeadline = now + policy.ProvisioningTimeout;
        }
        if (decision.RunningChartVersion is { } runs && runs != store.RunningChartVersion)
        {
            if (store.RunningChartVersion is { } was)
                events.Add(StoreEvent.Normal(id, now, "Upgraded", $"The store is Ready on chart {runs} (was {was})."));
            store.RunningChartVersion = runs;
        }
        if (decision.Phase == StorePhase.Ready && store.ReadyAt is null)
        {
            store.ReadyAt = now;
            store.ProvisioningDeadline = null;
            if (previousPhase != StorePhase.Ready) metrics.Provisioned(now - store.CreatedAt);
        }

        if (decision.Action == StepAction.Forget)
        {
            events.Add(StoreEvent.Normal(id, now, "Deleted", "The store and everything it owned are gone."));
            return StepOutcome.Forgotten;
        }

        var continueNow = decision.Requeue == Requeue.Now;
        store.DueAt = continueNow ? now : NextDue(decision.Requeue, store.Attempt, now);
        store.UpdatedAt = now;
        return continueNow ? StepOutcome.Continue : StepOutcome.Scheduled;
    }

    private async Task ActAsync(Store store, string ownerEmail, Decision decision, List<StoreEvent> events, DateTime now, CancellationToken ct)
    {
        var target = new StoreRef(store.Id, store.Slug);
        var id = store.Id;
        switch (decision.Action)
        {
            case StepAction.EnsureNamespace:
                await cluster.EnsureNamespaceAsync(target, ct);
                // When the namespace was there already, this only re-granted the worker's access (polled, see
                // StoreDecision): no event per poll, and nothing was created.
                if (decision.Conditions.FirstOrDefault(c => c.Type == StoreConditions.NamespaceReady)?.Status != StoreConditions.True)
                    events.Add(StoreEvent.Normal(id, now, "NamespaceCreated", $"Created namespace {target.Namespace}."));
                break;
            case StepAction.EnsureCredentials:
                var credentials = await cluster.EnsureCredentialsAsync(target, ct);
                // The Secret is the source of truth: whatever it holds (new or from an earlier attempt) is what we keep.
                store.AdminPasswordProtected = protector.Protect(id, credentials.AdminPassword);
                store.AdminUser = credentials.AdminUser;
                events.Add(StoreEvent.Normal(id, now, "CredentialsReady", $"The admin login ({credentials.AdminUser}) and the database passwords are in Secret store-credentials (generated once, never regenerated)."));
                break;
            case StepAction.Install:
                await cluster.InstallAsync(new StoreRelease(target, store.Name, store.ChartVersion, ownerEmail), ct);
                store.ObservedGeneration = store.Generation;
                events.Add(StoreEvent.Normal(id, now, decision.Reason == StoreReasons.Installing ? "ReleaseInstalled" : "ReleaseUpgraded",
                    $"helm upgrade --install {target.ReleaseName} (chart {store.ChartVersion}) in {target.Namespace}."));
                break;
            case StepAction.RecoverRelease:
                await cluster.RecoverReleaseAsync(target, ct);
                events.Add(StoreEvent.Warning(id, now, "ReleaseRecovered", decision.Message));
                break;
            case StepAction.Uninstall:
                await cluster.UninstallAsync(target, ct);
                events.Add(StoreEvent.Normal(id, now, "ReleaseUninstalled", $"helm uninstall {target.ReleaseName}."));
                break;
            case StepAction.DeleteNamespace:
                await cluster.DeleteNamespaceAsync(target, ct);
                events.Add(StoreEvent.Normal(id, now, "NamespaceDeleting", $"Deleting namespace {target.Namespace}."));
                break;
            case StepAction.GiveUp:
                // Nothing to call: the event is written with the outcome (StepAsync).
                break;
        }
    }

    /// <summary>
    /// Writes the outcome so far, fenced by the lease and the spec generation, and optionally gives the lease
    /// back. If the tenant changed the spec meanwhile (deleted it, asked for a retry) the outcome is stale: keep
    /// the events (they are facts) and hand the store straight back to the queue so the next step starts from
    /// the new spec. Returns false when the store is no longer ours to continue with.
    /// </summary>
    private async Task<bool> SaveAsync(StorefleetDb db, Store store, string owner, List<StoreEvent> pending, bool release, CancellationToken ct)
    {
        if (release)
        {
            store.LeaseOwner = null;
            store.LeaseExpiresAt = null;
        }
        db.StoreEvents.AddRange(pending);
        try
        {
            await db.SaveChangesAsync(ct);
            foreach (var e in pending) db.Entry(e).State = EntityState.Detached;
            pending.Clear();
            notifier.StoreChanged(store.OwnerId, store.Id);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            db.StoreEvents.AddRange(pending.Select(e => new StoreEvent { StoreId = e.StoreId, Time = e.Time, Type = e.Type, Reason = e.Reason, Message = e.Message }));
            await db.SaveChangesAsync(ct);
            pending.Clear();
            var now = clock.GetUtcNow().UtcDateTime;
            await db.Stores.Where(s => s.Id == store.Id && s.LeaseOwner == owner)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.DueAt, now).SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseExpiresAt, (DateTime?)null), ct);
            notifier.StoreChanged(store.OwnerId, store.Id);
            return false;
        }
    }

    /// <summary>Conditions that turned True become Normal events; a new reason for not being Ready becomes a Warning when it is a failure.</summary>
    private static void EventsForTransitions(Store store, Decision decision, List<StoreEvent> events, DateTime now)
    {
        foreach (var c in decision.Conditions)
        {
            var before = store.Conditions.FirstOrDefault(p => p.Type == c.Type);
            if (c.Status == StoreConditions.True && before?.Status != StoreConditions.True && c.Type is not StoreConditions.NamespaceReady and not StoreConditions.ReleaseDeployed)
                events.Add(StoreEvent.Normal(store.Id, now, c.Type, c.Message));
        }
        var ready = decision.Conditions.First(c => c.Type == StoreConditions.Ready);
        var previous = store.Conditions.ReadyCondition();
        if (decision.Warns && decision.Action != StepAction.GiveUp && (previous?.Reason != ready.Reason || previous.Message != ready.Message))
            events.Add(StoreEvent.Warning(store.Id, now, decision.Reason, decision.Message));
    }

    private DateTime? NextDue(Requeue requeue, int attempt, DateTime now) => requeue switch
    {
        Requeue.Now => now,
        // Waiting on the cluster: a fixed short poll (we cannot make pods start faster), lightly jittered.
        Requeue.Poll => now + Jitter(policy.PollInterval, 0.1),
        // Errors: exponential from the base, capped, with jitter in [50 %, 100 %] so a fleet of failing stores spreads out.
        Requeue.Backoff => now + Backoff(attempt),
        // In sync: a long resync, ±20 %, so thousands of Ready stores do not all wake at once.
        Requeue.Resync => now + Jitter(policy.ResyncInterval, 0.2),
        _ => null,
    };

    private TimeSpan Backoff(int attempt)
    {
        var exponential = policy.BackoffBase.Ticks * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        return TimeSpan.FromTicks((long)(Math.Min(policy.BackoffCap.Ticks, exponential) * (0.5 + Random.Shared.NextDouble() * 0.5)));
    }

    private static TimeSpan Jitter(TimeSpan interval, double fraction) =>
        interval * (1 - fraction + Random.Shared.NextDouble() * 2 * fraction);
}
