using Storefleet.Cluster;
using Storefleet.Stores;

namespace Storefleet.Provisioning;

/// <summary>The one thing to do next for a store.</summary>
public enum StepAction { Wait, EnsureNamespace, EnsureCredentials, Install, RecoverRelease, Uninstall, DeleteNamespace, Forget, GiveUp }

/// <summary>When to look at the store again.</summary>
public enum Requeue
{
    /// <summary>Progress was made: continue at once.</summary>
    Now,
    /// <summary>Waiting on the cluster (pods starting, namespace terminating): a short fixed poll, because we cannot hurry it.</summary>
    Poll,
    /// <summary>Something failed: jittered exponential backoff, capped.</summary>
    Backoff,
    /// <summary>In sync: a long jittered resync that catches drift.</summary>
    Resync,
    /// <summary>Nothing to do until the spec changes (gave up, or gone).</summary>
    Never,
}

public sealed record Decision(
    StepAction Action,
    StorePhase Phase,
    Requeue Requeue,
    string Reason,
    string Message,
    IReadOnlyList<StoreCondition> Conditions)
{
    /// <summary>The store left Ready (drift) and starts a fresh provisioning deadline.</summary>
    public bool RestartsProvisioning { get; init; }
    /// <summary>The chart version the store runs after this step: the observed release's once it is Ready on it, else unchanged.</summary>
    public string? RunningChartVersion { get; init; }

    /// <summary>Something is wrong that the tenant should hear about: a new reason or message becomes a Warning event.</summary>
    public bool Warns { get; init; }

    /// <summary>The step failed (an observe or action threw): the reconciler counts an attempt and backs off.</summary>
    public bool Failed { get; init; }
}

/// <summary>An observe or action that threw a <see cref="ClusterException"/> (or anything else), as the decision sees it.</summary>
public sealed record StepFailure(string Reason, string Message);

/// <summary>
/// The reasons the Ready condition (and the events) carry. Control flow compares these constants, never message text.
/// </summary>
public static class StoreReasons
{
    public const string Deleted = "Deleted", Uninstalling = "Uninstalling", DeletingNamespace = "DeletingNamespace",
        NamespaceStuckTerminating = "NamespaceStuckTerminating", WaitingForNamespace = "WaitingForNamespace";
    public const string NamespaceConflict = ClusterException.NamespaceConflict, ProvisioningTimedOut = "ProvisioningTimedOut",
        DriftDetected = "DriftDetected", Degraded = "Degraded";
    public const string NamespaceTerminating = "NamespaceTerminating", CreatingNamespace = "CreatingNamespace", GrantingAccess = "GrantingAccess",
        CreatingCredentials = "CreatingCredentials", RefreshingLogin = "RefreshingLogin";
    public const string RecoveringRelease = "RecoveringRelease", ReleasePending = "ReleasePending", ReleaseFailed = "ReleaseFailed",
        Installing = "Installing", Upgrading = "Upgrading", SetupFailed = "SetupFailed";
    public const string WaitingForDatabase = "WaitingForDatabase", WaitingForWordPress = "WaitingForWordPress", WaitingForSetup = "WaitingForSetup",
        CertificateFailed = "CertificateFailed", WaitingForCertificate = "WaitingForCertificate", StoreReady = "StoreReady";
    /// <summary>A failure that was not a <see cref="ClusterException"/>: a bug, logged with its stack trace.</summary>
    public const string InternalError = "InternalError";
}

public sealed class ReconcilePolicy
{
    /// <summary>How long provisioning may take before the store turns Error for good (until a retry).</summary>
    public TimeSpan ProvisioningTimeout { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan BackoffCap { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>A release in pending-* for longer than this is taken as interrupted (not merely in progress) and recovered.</summary>
    public TimeSpan PendingReleaseGrace { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>A namespace terminating for longer than this is reported as stuck.</summary>
    public TimeSpan StuckTerminatingAfter { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Observe → <b>decide</b> → act. A pure function from (desired spec, last status, observation, now) to
/// the next action, the phase and conditions users see, and when to look again. No I/O: table tests drive it.
/// </summary>
public static class StoreDecision
{
    public static Decision Decide(Store store, StoreObservation seen, DateTime now, ReconcilePolicy policy)
    {
        var conditions = StoreConditions.Observed(store, seen, now);
        Decision Make(StepAction action, StorePhase phase, Requeue requeue, string reason, string message, string readyStatus = StoreConditions.False, bool warns = false)
        {
            var ready = readyStatus == StoreConditions.True;
            var running = ready && seen.Release.State == ReleaseState.Deployed ? seen.Release.ChartVersion : store.RunningChartVersion;
            // Once Ready, the store runs what it runs: a version that differs then (a chart on disk other than the stamped
            // one) is ReleaseDeployed=False "Outdated", not an upgrade in progress.
            var withUpgrade = StoreConditions.WithUpgrading(conditions, store, ready ? null : running, now);
            return new(action, phase, requeue, reason, message, StoreConditions.WithReady(withUpgrade, readyStatus, reason, message, now))
            {
                Warns = warns || phase == StorePhase.Error,
                RunningChartVersion = running,
            };
        }

        if (store.DeletionRequestedAt is { } deletionRequested)
        {
            // Never uninstall or delete what is not ours: the driver reports a foreign namespace as absent
            // and a foreign release as absent, so deleting skips them; this only says so.
            if (seen.Conflict is { Object: ConflictingObject.Namespace } foreign)
                return Make(StepAction.Forget, StorePhase.Deleting, Requeue.Never, StoreReasons.Deleted,
                    $"Namespace {foreign.Name} is not this store's, so it was left untouched; the store is deleted.");
            if (seen.Release.State != ReleaseState.Absent)
                return Make(StepAction.Uninstall, StorePhase.Deleting, Requeue.Now, StoreReasons.Uninstalling, $"Uninstalling release {store.Slug}.");
            return seen.Namespace switch
            {
                NamespaceState.Active => Make(StepAction.DeleteNamespace, StorePhase.Deleting, Requeue.Now, StoreReasons.DeletingNamespace, $"Deleting namespace store-{store.Slug} and everything in it."),
                NamespaceState.Terminating when now - deletionRequested > policy.StuckTerminatingAfter =>
                    Make(StepAction.Wait, StorePhase.Deleting, Requeue.Poll, StoreReasons.NamespaceStuckTerminating,
                        $"Namespace store-{store.Slug} has been terminating for {(int)(now - deletionRequested).TotalMinutes} minutes; a finalizer may be stuck. An operator can check it with: kubectl get namespace store-{store.Slug} -o yaml", warns: true),
                NamespaceState.Terminating => Make(StepAction.Wait, StorePhase.Deleting, Requeue.Poll, StoreReasons.WaitingForNamespace, $"Waiting for namespace store-{store.Slug} to finish terminating."),
                _ => Make(StepAction.Forget, StorePhase.Deleting, Requeue.Never, StoreReasons.Deleted, "The store and everything it owned are gone."),
            };
        }

        // Something with the store's name is not the store's (a namespace left by a store from before a
        // database restore, someone else's namespace, Secret or release). Terminal, not retried: an operator
        // must decide what it is. POST /stores/{id}/retry looks again once they have.
        if (seen.Conflict is { } conflict)
            return Make(StepAction.GiveUp, StorePhase.Error, Requeue.Never, StoreReasons.NamespaceConflict, ConflictMessage(store, conflict));

        var wasReady = store.ReadyAt is not null;
        var pastDeadline = !wasReady && store.ProvisioningDeadline is { } deadline && now > deadline;

        // What the store needs next, in provisioning order.
        var next = NextProvisioningStep(store, seen, now, policy);

        if (next.Reason == StoreReasons.StoreReady)
            return Make(StepAction.Wait, StorePhase.Ready, Requeue.Resync, next.Reason, next.Message, readyStatus: StoreConditions.True);
        // Re-reading the login of a Ready store is bookkeeping, not a fault the tenant should see.
        if (next.Reason == StoreReasons.RefreshingLogin && store.Phase == StorePhase.Ready)
            return Make(next.Action, StorePhase.Ready, Requeue.Now, next.Reason, next.Message, readyStatus: StoreConditions.True);

        if (pastDeadline)
        {
            // The last thing users were told (often "Retry attempt n: <error>") says more than the step we would take next.
            var last = store.Conditions.ReadyMessage() is { Length: > 0 } m ? m : next.Message;
            return Make(StepAction.GiveUp, StorePhase.Error, Requeue.Never, StoreReasons.ProvisioningTimedOut, GaveUp(policy, last));
        }

        if (wasReady)
        {
            // Drift: the store was Ready and something is missing now. Repair what we own; report what we can't.
            var gone = seen.Namespace != NamespaceState.Active ? $"namespace store-{store.Slug} is gone"
                : !seen.AccessGranted ? $"the worker's RoleBinding in namespace store-{store.Slug} is gone"
                : seen.Release.State == ReleaseState.Absent ? $"release {store.Slug} is gone" : null;
            if (gone is not null)
                return Make(next.Action, StorePhase.Provisioning, next.Requeue, StoreReasons.DriftDetected,
                    $"The store was Ready but {gone}; repairing it. {next.Message}", warns: true)
                    with { RestartsProvisioning = true };
            // A new chart version or a retry: provision again, with a fresh deadline.
            if (next.Reason == StoreReasons.Upgrading)
                return Make(next.Action, StorePhase.Provisioning, next.Requeue, next.Reason, next.Message) with { RestartsProvisioning = true };
            return Make(next.Action, StorePhase.Error, next.Action == StepAction.Wait ? Requeue.Poll : next.Requeue, StoreReasons.Degraded,
                $"The store was Ready but is not healthy now: {next.Message}");
        }

        var phase = next.Requeue == Requeue.Backoff ? StorePhase.Error : StorePhase.Provisioning;
        return Make(next.Action, phase, next.Requeue, next.Reason, next.Message, warns: next.Warns);
    }

    /// <summary>
    /// The decision after a failed step (the observation or the action threw): report it as the next retry
    /// attempt and back off, or give up once past the provisioning deadline. The other conditions stay as
    /// last observed; Ready says what failed.
    /// </summary>
    public static Decision Decide(Store store, StepFailure failure, DateTime now, ReconcilePolicy policy)
    {
        var deleting = store.DeletionRequestedAt is not null;
        var wasReady = store.ReadyAt is not null;
        if (!deleting && !wasReady && store.ProvisioningDeadline < now)
        {
            var gaveUp = GaveUp(policy, failure.Message);
            return new Decision(StepAction.GiveUp, StorePhase.Error, Requeue.Never, StoreReasons.ProvisioningTimedOut, gaveUp,
                StoreConditions.WithReady(store.Conditions, StoreConditions.False, StoreReasons.ProvisioningTimedOut, gaveUp, now))
            {
                Failed = true, RunningChartVersion = store.RunningChartVersion,
            };
        }
        var message = $"Retry attempt {store.Attempt + 1}: {failure.Message}";
        // A Ready store that cannot be observed for a moment is not broken (Ready turns Unknown); a deletion stays a deletion.
        var phase = deleting || (wasReady && store.Phase == StorePhase.Ready) ? store.Phase : StorePhase.Error;
        var readyStatus = wasReady && !deleting ? StoreConditions.Unknown : StoreConditions.False;
        return new Decision(StepAction.Wait, phase, Requeue.Backoff, failure.Reason, message,
            StoreConditions.WithReady(store.Conditions, readyStatus, failure.Reason, message, now))
        {
            Failed = true, Warns = true, RunningChartVersion = store.RunningChartVersion,
        };
    }

    /// <summary>What an operator (and the tenant) reads on a NamespaceConflict: which object, whose it is, what to do.</summary>
    public static string ConflictMessage(Store store, OwnershipConflict conflict)
    {
        var (what, remove) = conflict.Object switch
        {
            ConflictingObject.Namespace => ($"Namespace {conflict.Name}", $"kubectl delete namespace {conflict.Name}"),
            ConflictingObject.CredentialsSecret => ($"Secret {conflict.Name} in namespace {conflict.Namespace}", $"kubectl delete secret {conflict.Name} -n {conflict.Namespace}"),
            _ => ($"Helm release {conflict.Name} in namespace {conflict.Namespace}", $"helm uninstall {conflict.Name} -n {conflict.Namespace}"),
        };
        var whose = conflict.FoundStoreId is { } other
            ? $"{what} belongs to another store (storefleet.dev/store-id={other}), not to this one ({store.Id})."
            : $"{what} exists but is not labelled as this store's (no storefleet.dev/store-id={store.Id}).";
        return $"{whose} Storefleet has written nothing to it and will not use it. If it is left over from a store that no longer exists " +
               $"(for example after a database restore), an operator removes it ({remove}) and then retries this store; " +
               "otherwise delete this store and create it again: it will get another address.";
    }

    public static string GaveUp(ReconcilePolicy policy, string last) =>
        $"Gave up after {Describe(policy.ProvisioningTimeout)}. Last state: {last.TrimEnd('.')}. Use Retry to start again.";

    private static string Describe(TimeSpan t) =>
        t >= TimeSpan.FromMinutes(1) ? $"{t.TotalMinutes:0.#} minutes" : $"{t.TotalSeconds:0.#} seconds";

    private readonly record struct Step(StepAction Action, Requeue Requeue, string Reason, string Message, bool Warns = false);

    private static Step NextProvisioningStep(Store store, StoreObservation seen, DateTime now, ReconcilePolicy policy)
    {
        var ns = $"store-{store.Slug}";
        switch (seen.Namespace)
        {
            case NamespaceState.Terminating:
                return new(StepAction.Wait, Requeue.Poll, StoreReasons.NamespaceTerminating, $"Namespace {ns} is terminating; it will be created again once it is gone.");
            case NamespaceState.Absent:
                return new(StepAction.EnsureNamespace, Requeue.Now, StoreReasons.CreatingNamespace, $"Creating namespace {ns}.");
        }
        // The namespace is ours but the worker cannot read inside it: its RoleBinding is missing (a worker stopped
        // right after creating the namespace) or not in effect yet. Ensuring the namespace creates the binding;
        // a fixed poll, because RBAC takes a moment to apply and a broken RoleBinding must not spin.
        if (!seen.AccessGranted)
            return new(StepAction.EnsureNamespace, Requeue.Poll, StoreReasons.GrantingAccess, $"Waiting for the worker's access to namespace {ns} (its RoleBinding is created if missing).");
        // Also when the Secret exists but our encrypted copy does not (a worker died between the two writes):
        // ensuring is idempotent and hands back the Secret's passwords, never new ones.
        if (!seen.CredentialsExist || store.AdminPasswordProtected is null)
            return new(StepAction.EnsureCredentials, Requeue.Now, StoreReasons.CreatingCredentials, "Generating the store's database and admin passwords.");
        // Our copy of the login must be the one the Secret names (the one WordPress has): re-read it when it
        // is missing (a store from before the copy had a username) or differs (the Secret was corrected).
        if (store.AdminUser is null || (seen.AdminUser is { } secretUser && secretUser != store.AdminUser))
            return new(StepAction.EnsureCredentials, Requeue.Now, StoreReasons.RefreshingLogin, "Reading the store's admin login from its credentials Secret.");

        var release = seen.Release;
        switch (release.State)
        {
            case ReleaseState.Pending when now - release.UpdatedAt > policy.PendingReleaseGrace:
                return new(StepAction.RecoverRelease, Requeue.Now, StoreReasons.RecoveringRelease,
                    $"Release {store.Slug} has been stuck in a pending state since {release.UpdatedAt:HH:mm:ss} UTC ({release.Description}); recovering it.");
            case ReleaseState.Pending or ReleaseState.Uninstalling:
                return new(StepAction.Wait, Requeue.Poll, StoreReasons.ReleasePending, $"Helm is still working on release {store.Slug}: {release.Description}.");
            case ReleaseState.Failed:
                return new(StepAction.Install, Requeue.Backoff, StoreReasons.ReleaseFailed, $"Release {store.Slug} failed ({release.Description}); installing it again.");
            case ReleaseState.Absent:
                return new(StepAction.Install, Requeue.Now, StoreReasons.Installing, $"Installing the store chart {store.ChartVersion}.");
        }
        // Only a spec change (a new generation: retry, a fleet upgrade bumping ChartVersion) re-applies the release.
        // Comparing chart versions alone would loop forever if the chart on disk differs from the stamped version.
        if (store.ObservedGeneration < store.Generation)
            return new(StepAction.Install, Requeue.Now, StoreReasons.Upgrading, $"Upgrading release {store.Slug} to chart {store.ChartVersion}.");

        if (seen.Setup.State == ComponentState.Failed)
            return new(StepAction.Install, Requeue.Backoff, StoreReasons.SetupFailed, $"{seen.Setup.Message}. Running the setup job again.");

        var waiting = (seen.Database, seen.WordPress, seen.Setup) switch
        {
            ({ State: not ComponentState.Ready } db, _, _) => (StoreReasons.WaitingForDatabase, $"Waiting for the database: {db.Message}."),
            (_, { State: not ComponentState.Ready } wp, _) => (StoreReasons.WaitingForWordPress, $"Waiting for WordPress: {wp.Message}."),
            (_, _, { State: not ComponentState.Ready } setup) => (StoreReasons.WaitingForSetup, $"Configuring the store: {setup.Message}."),
            _ => ((string, string)?)null,
        };
        if (waiting is var (reason, message))
        {
            // Warning events from the cluster (an image that cannot be pulled, a pod that cannot be scheduled) are news for the tenant.
            return seen.Warnings.Count > 0
                ? new(StepAction.Wait, Requeue.Poll, reason, $"{message} Cluster says: {seen.Warnings[0]}", Warns: true)
                : new(StepAction.Wait, Requeue.Poll, reason, message);
        }
        // A per-store certificate (ingress.tls.mode=perStore) must be issued before shoppers are sent to
        // https://: a store is not Ready behind a broken certificate. cert-manager retries on its own, so
        // nothing is re-applied; a failure (rate limit, DNS, no cert-manager) is shown as Error and re-observed
        // with backoff, and the store turns Ready as soon as the certificate does.
        switch (seen.Certificate)
        {
            case { State: ComponentState.Failed } cert:
                return new(StepAction.Wait, Requeue.Backoff, StoreReasons.CertificateFailed, $"{cert.Message}.");
            case { State: not ComponentState.Ready } cert:
                return new(StepAction.Wait, Requeue.Poll, StoreReasons.WaitingForCertificate, $"Waiting for the store's TLS certificate: {cert.Message}.");
        }
        return new(StepAction.Wait, Requeue.Resync, StoreReasons.StoreReady, "The storefront and admin are up; WooCommerce with Cash on Delivery is configured.");
    }
}

/// <summary>
/// The Kubernetes-style conditions users see, kept the way Flux's <c>conditions</c> helpers keep them:
/// a condition is marked True, False or Unknown, and its <c>lastTransitionTime</c> moves only when its
/// status changes (a new reason or message with the same status keeps the time).
/// </summary>
public static class StoreConditions
{
    public const string NamespaceReady = "NamespaceReady", ReleaseDeployed = "ReleaseDeployed", DatabaseReady = "DatabaseReady",
        WordPressReady = "WordPressReady", StoreConfigured = "StoreConfigured", TlsReady = "TLSReady", Ready = "Ready",
        Upgrading = "Upgrading";

    public const string True = "True", False = "False", Unknown = "Unknown";

    /// <summary>The one-line reason behind a store's status: its Ready condition's message (null before the first look).</summary>
    public static string? ReadyMessage(this IEnumerable<StoreCondition> conditions) => conditions.ReadyCondition()?.Message;

    /// <summary>The store's Ready condition: its status, reason and message (null before the first look).</summary>
    public static StoreCondition? ReadyCondition(this IEnumerable<StoreCondition> conditions) => conditions.FirstOrDefault(c => c.Type == Ready);

    /// <summary>The conditions every store has, in order. TLSReady comes before Ready, and only for a store with a
    /// certificate of its own (<see cref="StoreObservation.Certificate"/>).</summary>
    public static readonly string[] Order = [NamespaceReady, ReleaseDeployed, DatabaseReady, WordPressReady, StoreConfigured, Ready];

    private static readonly string[] Sequence = [NamespaceReady, ReleaseDeployed, DatabaseReady, WordPressReady, StoreConfigured, TlsReady, Upgrading, Ready];

    public static void MarkTrue(List<StoreCondition> conditions, string type, string reason, string message, DateTime now) =>
        Set(conditions, type, True, reason, message, now);

    public static void MarkFalse(List<StoreCondition> conditions, string type, string reason, string message, DateTime now) =>
        Set(conditions, type, False, reason, message, now);

    public static void MarkUnknown(List<StoreCondition> conditions, string type, string reason, string message, DateTime now) =>
        Set(conditions, type, Unknown, reason, message, now);

    /// <summary>Sets one condition, keeping its lastTransitionTime when the status is the same as before; the list stays in display order.</summary>
    public static void Set(List<StoreCondition> conditions, string type, string status, string reason, string message, DateTime now)
    {
        var at = conditions.FindIndex(c => c.Type == type);
        var since = at >= 0 && conditions[at].Status == status ? conditions[at].LastTransitionTime : now;
        var condition = new StoreCondition { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = since };
        if (at >= 0) conditions[at] = condition;
        else conditions.Insert(InsertAt(conditions, type), condition);
    }

    public static void Remove(List<StoreCondition> conditions, string type) => conditions.RemoveAll(c => c.Type == type);

    /// <summary>A copy the decision can change without touching the stored list.</summary>
    public static List<StoreCondition> Copy(IEnumerable<StoreCondition> conditions) =>
        [.. conditions.Select(c => new StoreCondition { Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message, LastTransitionTime = c.LastTransitionTime })];

    /// <summary>The store's conditions updated from an observation (Ready included as it was: the decision sets it).</summary>
    public static List<StoreCondition> Observed(Store store, StoreObservation seen, DateTime now)
    {
        var ns = $"store-{store.Slug}";
        var list = Copy(store.Conditions);
        if (seen.Conflict is { Object: ConflictingObject.Namespace })
            MarkFalse(list, NamespaceReady, "Conflict", $"Namespace {ns} exists but is not this store's.", now);
        else if (seen.Namespace == NamespaceState.Active)
            MarkTrue(list, NamespaceReady, "Active", $"Namespace {ns} exists.", now);
        else if (seen.Namespace == NamespaceState.Terminating)
            MarkFalse(list, NamespaceReady, "Terminating", $"Namespace {ns} is terminating.", now);
        else
            MarkFalse(list, NamespaceReady, "NotCreated", $"Namespace {ns} does not exist.", now);

        var release = seen.Release;
        if (seen.Conflict is { Object: ConflictingObject.Release })
            MarkFalse(list, ReleaseDeployed, "Conflict", $"Release {store.Slug} exists but was not installed for this store.", now);
        else if (release.State == ReleaseState.Deployed && release.ChartVersion == store.ChartVersion)
            MarkTrue(list, ReleaseDeployed, "Deployed", $"Release {store.Slug} revision {release.Revision} (chart {release.ChartVersion}) is deployed.", now);
        else
        {
            var (reason, message) = release.State switch
            {
                ReleaseState.Deployed => ("Outdated", $"Release {store.Slug} runs chart {release.ChartVersion}; {store.ChartVersion} is wanted."),
                ReleaseState.Pending => ("Pending", $"Release {store.Slug}: {release.Description}."),
                ReleaseState.Failed => ("Failed", $"Release {store.Slug} failed: {release.Description}."),
                ReleaseState.Uninstalling => (StoreReasons.Uninstalling, $"Release {store.Slug} is being uninstalled."),
                _ => ("NotInstalled", $"Release {store.Slug} is not installed."),
            };
            MarkFalse(list, ReleaseDeployed, reason, message, now);
        }
        Component(list, DatabaseReady, seen.Database, "Ready", "Starting", "Failing", now);
        Component(list, WordPressReady, seen.WordPress, "Ready", "Starting", "Failing", now);
        Component(list, StoreConfigured, seen.Setup, "Configured", "SetupRunning", StoreReasons.SetupFailed, now);
        if (seen.Certificate is { } certificate) Component(list, TlsReady, certificate, "Issued", "Issuing", "IssuingFailed", now);
        else Remove(list, TlsReady);
        return list;
    }

    /// <summary>The conditions with Ready set; Ready's lastTransitionTime is kept while its status stays the same.</summary>
    public static List<StoreCondition> WithReady(IEnumerable<StoreCondition> conditions, string status, string reason, string message, DateTime now)
    {
        var list = Copy(conditions);
        Set(list, Ready, status, reason, message, now);
        return list;
    }

    /// <summary>
    /// While a store that ran one chart version is being moved to another (a fleet upgrade or its rollback), an
    /// <c>Upgrading</c> condition says so: "Upgrading to 0.2.0". It disappears once the store is Ready again.
    /// </summary>
    public static List<StoreCondition> WithUpgrading(IEnumerable<StoreCondition> conditions, Store store, string? running, DateTime now)
    {
        var list = Copy(conditions);
        if (store.DeletionRequestedAt is null && running is not null && running != store.ChartVersion)
            MarkTrue(list, Upgrading, "ChartVersionChanging", $"Upgrading to {store.ChartVersion} (running {running}).", now);
        else
            Remove(list, Upgrading);
        return list;
    }

    private static void Component(List<StoreCondition> list, string type, ComponentStatus status, string ready, string progressing, string failed, DateTime now)
    {
        switch (status.State)
        {
            case ComponentState.Ready: MarkTrue(list, type, ready, status.Message, now); break;
            case ComponentState.Progressing: MarkFalse(list, type, progressing, status.Message, now); break;
            case ComponentState.Failed: MarkFalse(list, type, failed, status.Message, now); break;
            default: MarkUnknown(list, type, "NotCreated", status.Message, now); break;
        }
    }

    private static int InsertAt(List<StoreCondition> conditions, string type)
    {
        var rank = Array.IndexOf(Sequence, type);
        if (rank < 0) return conditions.Count;
        var at = conditions.FindIndex(c => Array.IndexOf(Sequence, c.Type) is var other && (other < 0 || other > rank));
        return at < 0 ? conditions.Count : at;
    }
}
