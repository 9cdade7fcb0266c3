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
        Decision Make(StepAction action, StorePhase phase, Requeue requeue, string reason, string message, string readyStatus = "False")
        {
            var running = readyStatus == "True" && seen.Release.State == ReleaseState.Deployed ? seen.Release.ChartVersion : store.RunningChartVersion;
            // Once Ready, the store runs what it runs: a version that differs then (a chart on disk other than the stamped
            // one) is ReleaseDeployed=False "Outdated", not an upgrade in progress.
            var withUpgrade = StoreConditions.WithUpgrading(conditions, store, readyStatus == "True" ? null : running, now);
            return new(action, phase, requeue, reason, message, StoreConditions.WithReady(withUpgrade, readyStatus, reason, message, now)) { RunningChartVersion = running };
        }

        if (store.DeletionRequestedAt is { } deletionRequested)
        {
            // Never uninstall or delete what is not ours: the driver reports a foreign namespace as absent
            // and a foreign release as absent, so deleting skips them; this only says so.
            if (seen.Conflict is { Object: ConflictingObject.Namespace } foreign)
                return Make(StepAction.Forget, StorePhase.Deleting, Requeue.Never, "Deleted",
                    $"Namespace {foreign.Name} is not this store's, so it was left untouched; the store is deleted.");
            if (seen.Release.State != ReleaseState.Absent)
                return Make(StepAction.Uninstall, StorePhase.Deleting, Requeue.Now, "Uninstalling", $"Uninstalling release {store.Slug}.");
            return seen.Namespace switch
            {
                NamespaceState.Active => Make(StepAction.DeleteNamespace, StorePhase.Deleting, Requeue.Now, "DeletingNamespace", $"Deleting namespace store-{store.Slug} and everything in it."),
                NamespaceState.Terminating when now - deletionRequested > policy.StuckTerminatingAfter =>
                    Make(StepAction.Wait, StorePhase.Deleting, Requeue.Poll, "NamespaceStuckTerminating",
                        $"Namespace store-{store.Slug} has been terminating for {(int)(now - deletionRequested).TotalMinutes} minutes; a finalizer may be stuck. An operator can check it with: kubectl get namespace store-{store.Slug} -o yaml"),
                NamespaceState.Terminating => Make(StepAction.Wait, StorePhase.Deleting, Requeue.Poll, "WaitingForNamespace", $"Waiting for namespace store-{store.Slug} to finish terminating."),
                _ => Make(StepAction.Forget, StorePhase.Deleting, Requeue.Never, "Deleted", "The store and everything it owned are gone."),
            };
        }

        // Something with the store's name is not the store's (a namespace left by a store from before a
        // database restore, someone else's namespace, Secret or release). Terminal, not retried: an operator
        // must decide what it is. POST /stores/{id}/retry looks again once they have.
        if (seen.Conflict is { } conflict)
            return Make(StepAction.GiveUp, StorePhase.Error, Requeue.Never, ClusterException.NamespaceConflict, ConflictMessage(store, conflict));

        var wasReady = store.ReadyAt is not null;
        var pastDeadline = !wasReady && store.ProvisioningDeadline is { } deadline && now > deadline;

        // What the store needs next, in provisioning order.
        var next = NextProvisioningStep(store, seen, now, policy);

        if (next.Action == StepAction.Wait && next.Reason == "StoreReady")
            return Make(StepAction.Wait, StorePhase.Ready, Requeue.Resync, next.Reason, next.Message, readyStatus: "True");
        // Re-reading the login of a Ready store is bookkeeping, not a fault the tenant should see.
        if (next.Reason == RefreshingLogin && store.Phase == StorePhase.Ready)
            return Make(next.Action, StorePhase.Ready, Requeue.Now, next.Reason, next.Message, readyStatus: "True");

        if (pastDeadline)
        {
            // The last thing users were told (often "Retry attempt n: <error>") says more than the step we would take next.
            var last = store.Conditions.FirstOrDefault(c => c.Type == StoreConditions.Ready)?.Message is { Length: > 0 } m ? m : next.Message;
            return Make(StepAction.GiveUp, StorePhase.Error, Requeue.Never, "ProvisioningTimedOut", GaveUp(policy, last));
        }

        if (wasReady)
        {
            // Drift: the store was Ready and something is missing now. Repair what we own; report what we can't.
            var gone = seen.Namespace != NamespaceState.Active ? $"namespace store-{store.Slug} is gone"
                : !seen.AccessGranted ? $"the worker's RoleBinding in namespace store-{store.Slug} is gone"
                : seen.Release.State == ReleaseState.Absent ? $"release {store.Slug} is gone" : null;
            if (gone is not null)
                return Make(next.Action, StorePhase.Provisioning, next.Requeue, "DriftDetected",
                    $"The store was Ready but {gone}; repairing it. {next.Message}")
                    with { RestartsProvisioning = true };
            // A new chart version or a retry: provision again, with a fresh deadline.
            if (next.Reason == "Upgrading")
                return Make(next.Action, StorePhase.Provisioning, next.Requeue, next.Reason, next.Message) with { RestartsProvisioning = true };
            return Make(next.Action, StorePhase.Error, next.Action == StepAction.Wait ? Requeue.Poll : next.Requeue, "Degraded",
                $"The store was Ready but is not healthy now: {next.Message}");
        }

        var phase = next.Requeue == Requeue.Backoff ? StorePhase.Error : StorePhase.Provisioning;
        return Make(next.Action, phase, next.Requeue, next.Reason, next.Message);
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

    private const string RefreshingLogin = "RefreshingLogin";

    private readonly record struct Step(StepAction Action, Requeue Requeue, string Reason, string Message);

    private static Step NextProvisioningStep(Store store, StoreObservation seen, DateTime now, ReconcilePolicy policy)
    {
        var ns = $"store-{store.Slug}";
        switch (seen.Namespace)
        {
            case NamespaceState.Terminating:
                return new(StepAction.Wait, Requeue.Poll, "NamespaceTerminating", $"Namespace {ns} is terminating; it will be created again once it is gone.");
            case NamespaceState.Absent:
                return new(StepAction.EnsureNamespace, Requeue.Now, "CreatingNamespace", $"Creating namespace {ns}.");
        }
        // The namespace is ours but the worker cannot read inside it: its RoleBinding is missing (a worker stopped
        // right after creating the namespace) or not in effect yet. Ensuring the namespace creates the binding;
        // a fixed poll, because RBAC takes a moment to apply and a broken RoleBinding must not spin.
        if (!seen.AccessGranted)
            return new(StepAction.EnsureNamespace, Requeue.Poll, "GrantingAccess", $"Waiting for the worker's access to namespace {ns} (its RoleBinding is created if missing).");
        // Also when the Secret exists but our encrypted copy does not (a worker died between the two writes):
        // ensuring is idempotent and hands back the Secret's passwords, never new ones.
        if (!seen.CredentialsExist || store.AdminPasswordProtected is null)
            return new(StepAction.EnsureCredentials, Requeue.Now, "CreatingCredentials", "Generating the store's database and admin passwords.");
        // Our copy of the login must be the one the Secret names (the one WordPress has): re-read it when it
        // is missing (a store from before the copy had a username) or differs (the Secret was corrected).
        if (store.AdminUser is null || (seen.AdminUser is { } secretUser && secretUser != store.AdminUser))
            return new(StepAction.EnsureCredentials, Requeue.Now, RefreshingLogin, "Reading the store's admin login from its credentials Secret.");

        var release = seen.Release;
        switch (release.State)
        {
            case ReleaseState.Pending when now - release.UpdatedAt > policy.PendingReleaseGrace:
                return new(StepAction.RecoverRelease, Requeue.Now, "RecoveringRelease",
                    $"Release {store.Slug} has been stuck in a pending state since {release.UpdatedAt:HH:mm:ss} UTC ({release.Description}); recovering it.");
            case ReleaseState.Pending or ReleaseState.Uninstalling:
                return new(StepAction.Wait, Requeue.Poll, "ReleasePending", $"Helm is still working on release {store.Slug}: {release.Description}.");
            case ReleaseState.Failed:
                return new(StepAction.Install, Requeue.Backoff, "ReleaseFailed", $"Release {store.Slug} failed ({release.Description}); installing it again.");
            case ReleaseState.Absent:
                return new(StepAction.Install, Requeue.Now, "Installing", $"Installing the store chart {store.ChartVersion}.");
        }
        // Only a spec change (a new generation: retry, a fleet upgrade bumping ChartVersion) re-applies the release.
        // Comparing chart versions alone would loop forever if the chart on disk differs from the stamped version.
        if (store.ObservedGeneration < store.Generation)
            return new(StepAction.Install, Requeue.Now, "Upgrading", $"Upgrading release {store.Slug} to chart {store.ChartVersion}.");

        if (seen.Setup.State == ComponentState.Failed)
            return new(StepAction.Install, Requeue.Backoff, "SetupFailed", $"{seen.Setup.Message}. Running the setup job again.");

        var waiting = (seen.Database, seen.WordPress, seen.Setup) switch
        {
            ({ State: not ComponentState.Ready } db, _, _) => ("WaitingForDatabase", $"Waiting for the database: {db.Message}."),
            (_, { State: not ComponentState.Ready } wp, _) => ("WaitingForWordPress", $"Waiting for WordPress: {wp.Message}."),
            (_, _, { State: not ComponentState.Ready } setup) => ("WaitingForSetup", $"Configuring the store: {setup.Message}."),
            _ => ((string, string)?)null,
        };
        if (waiting is var (reason, message))
        {
            if (seen.Warnings.Count > 0) message += $" Cluster says: {seen.Warnings[0]}";
            return new(StepAction.Wait, Requeue.Poll, reason, message);
        }
        // A per-store certificate (ingress.tls.mode=perStore) must be issued before shoppers are sent to
        // https://: a store is not Ready behind a broken certificate. cert-manager retries on its own, so
        // nothing is re-applied; a failure (rate limit, DNS, no cert-manager) is shown as Error and re-observed
        // with backoff, and the store turns Ready as soon as the certificate does.
        switch (seen.Certificate)
        {
            case { State: ComponentState.Failed } cert:
                return new(StepAction.Wait, Requeue.Backoff, "CertificateFailed", $"{cert.Message}.");
            case { State: not ComponentState.Ready } cert:
                return new(StepAction.Wait, Requeue.Poll, "WaitingForCertificate", $"Waiting for the store's TLS certificate: {cert.Message}.");
        }
        return new(StepAction.Wait, Requeue.Resync, "StoreReady", "The storefront and admin are up; WooCommerce with Cash on Delivery is configured.");
    }
}

/// <summary>The Kubernetes-style conditions users see, derived from an observation.</summary>
public static class StoreConditions
{
    public const string NamespaceReady = "NamespaceReady", ReleaseDeployed = "ReleaseDeployed", DatabaseReady = "DatabaseReady",
        WordPressReady = "WordPressReady", StoreConfigured = "StoreConfigured", TlsReady = "TLSReady", Ready = "Ready",
        Upgrading = "Upgrading";

    /// <summary>The conditions every store has, in order. TLSReady comes before Ready, and only for a store with a
    /// certificate of its own (<see cref="StoreObservation.Certificate"/>).</summary>
    public static readonly string[] Order = [NamespaceReady, ReleaseDeployed, DatabaseReady, WordPressReady, StoreConfigured, Ready];

    public static List<StoreCondition> Observed(Store store, StoreObservation seen, DateTime now)
    {
        var ns = $"store-{store.Slug}";
        var list = new List<StoreCondition>
        {
            seen.Conflict is { Object: ConflictingObject.Namespace } ? Cond(NamespaceReady, "False", "Conflict", $"Namespace {ns} exists but is not this store's.") :
            seen.Namespace switch
            {
                NamespaceState.Active => Cond(NamespaceReady, "True", "Active", $"Namespace {ns} exists."),
                NamespaceState.Terminating => Cond(NamespaceReady, "False", "Terminating", $"Namespace {ns} is terminating."),
                _ => Cond(NamespaceReady, "False", "NotCreated", $"Namespace {ns} does not exist."),
            },
            seen.Conflict is { Object: ConflictingObject.Release } ? Cond(ReleaseDeployed, "False", "Conflict", $"Release {store.Slug} exists but was not installed for this store.") :
            seen.Release.State switch
            {
                ReleaseState.Deployed when seen.Release.ChartVersion == store.ChartVersion =>
                    Cond(ReleaseDeployed, "True", "Deployed", $"Release {store.Slug} revision {seen.Release.Revision} (chart {seen.Release.ChartVersion}) is deployed."),
                ReleaseState.Deployed => Cond(ReleaseDeployed, "False", "Outdated", $"Release {store.Slug} runs chart {seen.Release.ChartVersion}; {store.ChartVersion} is wanted."),
                ReleaseState.Pending => Cond(ReleaseDeployed, "False", "Pending", $"Release {store.Slug}: {seen.Release.Description}."),
                ReleaseState.Failed => Cond(ReleaseDeployed, "False", "Failed", $"Release {store.Slug} failed: {seen.Release.Description}."),
                ReleaseState.Uninstalling => Cond(ReleaseDeployed, "False", "Uninstalling", $"Release {store.Slug} is being uninstalled."),
                _ => Cond(ReleaseDeployed, "False", "NotInstalled", $"Release {store.Slug} is not installed."),
            },
            Component(DatabaseReady, seen.Database, "Ready", "Starting", "Failing"),
            Component(WordPressReady, seen.WordPress, "Ready", "Starting", "Failing"),
            Component(StoreConfigured, seen.Setup, "Configured", "SetupRunning", "SetupFailed"),
        };
        if (seen.Certificate is { } certificate)
            list.Add(Component(TlsReady, certificate, "Issued", "Issuing", "IssuingFailed"));
        return Carry(store.Conditions, list, now);
    }

    /// <summary>
    /// While a store that ran one chart version is being moved to another (a fleet upgrade or its rollback), an
    /// <c>Upgrading</c> condition says so: "Upgrading to 0.2.0". It disappears once the store is Ready again.
    /// </summary>
    public static List<StoreCondition> WithUpgrading(IReadOnlyList<StoreCondition> observed, Store store, string? running, DateTime now)
    {
        var list = observed.Where(c => c.Type != Upgrading).ToList();
        if (store.DeletionRequestedAt is null && running is not null && running != store.ChartVersion)
            list.Add(Cond(Upgrading, "True", "ChartVersionChanging", $"Upgrading to {store.ChartVersion} (running {running})."));
        return Carry(store.Conditions, list, now);
    }

    public static List<StoreCondition> WithReady(IReadOnlyList<StoreCondition> observed, string status, string reason, string message, DateTime now)
    {
        var list = observed.Where(c => c.Type != Ready).ToList();
        list.Add(Cond(Ready, status, reason, message));
        return Carry(observed, list, now);
    }

    /// <summary>A condition's lastTransitionTime moves only when its status changes.</summary>
    public static List<StoreCondition> Carry(IReadOnlyList<StoreCondition> previous, List<StoreCondition> next, DateTime now)
    {
        foreach (var c in next)
        {
            var before = previous.FirstOrDefault(p => p.Type == c.Type);
            c.LastTransitionTime = before is not null && before.Status == c.Status ? before.LastTransitionTime : now;
        }
        return next;
    }

    private static StoreCondition Component(string type, ComponentStatus status, string ready, string progressing, string failed) => status.State switch
    {
        ComponentState.Ready => Cond(type, "True", ready, status.Message),
        ComponentState.Progressing => Cond(type, "False", progressing, status.Message),
        ComponentState.Failed => Cond(type, "False", failed, status.Message),
        _ => Cond(type, "Unknown", "NotCreated", status.Message),
    };

    private static StoreCondition Cond(string type, string status, string reason, string message) =>
        new() { Type = type, Status = status, Reason = reason, Message = message };
}
