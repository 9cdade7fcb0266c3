using Storefleet.Cluster;
using Storefleet.Provisioning;
using Storefleet.Stores;

namespace Storefleet.Tests.Provisioning;

/// <summary>The decision function as a table: (store, observation) → action, phase, requeue, reason.</summary>
public class StoreDecisionTests
{
    private static readonly DateTime Now = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);
    private static readonly ReconcilePolicy Policy = new();

    private static readonly ComponentStatus Ready = new(ComponentState.Ready, "ready");
    private static readonly ComponentStatus Starting = new(ComponentState.Progressing, "starting");
    private static readonly ComponentStatus Failing = new(ComponentState.Failed, "ImagePullBackOff: Back-off pulling image");
    private static readonly ReleaseInfo Deployed = new(ReleaseState.Deployed, 1, "0.1.0", Now.AddMinutes(-1), "Install complete");

    private static StoreObservation Seen(
        NamespaceState ns = NamespaceState.Active, bool credentials = true, ReleaseInfo? release = null,
        ComponentStatus? db = null, ComponentStatus? wp = null, ComponentStatus? setup = null, string adminUser = "storeadmin", params string[] warnings) =>
        new(ns, credentials, release ?? Deployed, db ?? Ready, wp ?? Ready, setup ?? Ready, "http://s.example/", warnings, credentials ? adminUser : null);

    private static readonly ComponentStatus Issuing = new(ComponentState.Progressing, "certificate shop-tls is being issued: Issuing certificate as Secret does not exist");
    private static readonly ComponentStatus CertificateFailing = new(ComponentState.Failed, "cert-manager could not issue certificate shop-tls: 429 urn:ietf:params:acme:error:rateLimited");
    private static readonly StoreObservation Empty = StoreObservation.Nothing;
    private static readonly StoreObservation AllReady = Seen();

    public sealed record Row(string Case, Func<Store, Store> Given, StoreObservation Seen, StepAction Action, StorePhase Phase, Requeue Requeue, string Reason)
    {
        public override string ToString() => Case;
    }

    private static Store Fresh(Store s) => s;
    private static Store Deleting(Store s) { s.DeletionRequestedAt = Now.AddMinutes(-1); s.Phase = StorePhase.Deleting; return s; }
    private static Store WasReady(Store s) { s.ReadyAt = Now.AddHours(-1); s.Phase = StorePhase.Ready; s.ProvisioningDeadline = null; return s; }
    private static Store Late(Store s) { s.ProvisioningDeadline = Now.AddSeconds(-1); return s; }
    private static Store NewGeneration(Store s) { s.Generation = 2; return s; }
    private static Store NewChart(Store s) { s.ChartVersion = "0.2.0"; return s; }

    public static TheoryData<Row> Table => new(
        new Row("a new store gets its namespace first", Fresh, Empty, StepAction.EnsureNamespace, StorePhase.Provisioning, Requeue.Now, "CreatingNamespace"),
        new Row("then its credentials", Fresh, Seen(credentials: false, release: ReleaseInfo.None), StepAction.EnsureCredentials, StorePhase.Provisioning, Requeue.Now, "CreatingCredentials"),
        new Row("credentials in the cluster but not in the database are read back", s => { s.AdminPasswordProtected = null; return s; }, Seen(release: ReleaseInfo.None), StepAction.EnsureCredentials, StorePhase.Provisioning, Requeue.Now, "CreatingCredentials"),
        new Row("a login copy from before the username was kept is read again", s => { s.AdminUser = null; return s; }, Seen(release: ReleaseInfo.None), StepAction.EnsureCredentials, StorePhase.Provisioning, Requeue.Now, "RefreshingLogin"),
        new Row("a Ready store whose Secret names another login reads it again and stays Ready", WasReady, Seen(adminUser: "admin"), StepAction.EnsureCredentials, StorePhase.Ready, Requeue.Now, "RefreshingLogin"),
        new Row("then the release", Fresh, Seen(release: ReleaseInfo.None), StepAction.Install, StorePhase.Provisioning, Requeue.Now, "Installing"),
        new Row("waits for the database", Fresh, Seen(db: Starting, wp: Starting, setup: ComponentStatus.Absent), StepAction.Wait, StorePhase.Provisioning, Requeue.Poll, "WaitingForDatabase"),
        new Row("waits for WordPress", Fresh, Seen(wp: Starting, setup: ComponentStatus.Absent), StepAction.Wait, StorePhase.Provisioning, Requeue.Poll, "WaitingForWordPress"),
        new Row("waits for the setup job", Fresh, Seen(setup: Starting), StepAction.Wait, StorePhase.Provisioning, Requeue.Poll, "WaitingForSetup"),
        new Row("is Ready when everything is, and resyncs later", Fresh, AllReady, StepAction.Wait, StorePhase.Ready, Requeue.Resync, "StoreReady"),
        new Row("a failed setup job runs again after a backoff, shown as Error", Fresh, Seen(setup: new(ComponentState.Failed, "COD missing")), StepAction.Install, StorePhase.Error, Requeue.Backoff, "SetupFailed"),
        new Row("a failed release is installed again after a backoff", Fresh, Seen(release: Deployed with { State = ReleaseState.Failed }), StepAction.Install, StorePhase.Error, Requeue.Backoff, "ReleaseFailed"),
        new Row("a release pending for a moment is left alone", Fresh, Seen(release: Deployed with { State = ReleaseState.Pending, UpdatedAt = Now.AddSeconds(-10) }), StepAction.Wait, StorePhase.Provisioning, Requeue.Poll, "ReleasePending"),
        new Row("a release stuck pending is recovered", Fresh, Seen(release: Deployed with { State = ReleaseState.Pending, UpdatedAt = Now.AddMinutes(-5) }), StepAction.RecoverRelease, StorePhase.Provisioning, Requeue.Now, "RecoveringRelease"),
        new Row("an image that cannot be pulled is waited on and reported", Fresh, Seen(wp: Failing, setup: ComponentStatus.Absent, warnings: "Failed: pull access denied"), StepAction.Wait, StorePhase.Provisioning, Requeue.Poll, "WaitingForWordPress"),
        new Row("a namespace from an old store still terminating is waited for", Fresh, Empty with { Namespace = NamespaceState.Terminating }, StepAction.Wait, StorePhase.Provisioning, Requeue.Poll, "NamespaceTerminating"),
        new Row("past the deadline, provisioning gives up with Error", Late, Seen(setup: Starting), StepAction.GiveUp, StorePhase.Error, Requeue.Never, "ProvisioningTimedOut"),
        new Row("past the deadline but Ready is still Ready", Late, AllReady, StepAction.Wait, StorePhase.Ready, Requeue.Resync, "StoreReady"),
        new Row("a retry (new generation) re-applies the release", NewGeneration, AllReady, StepAction.Install, StorePhase.Provisioning, Requeue.Now, "Upgrading"),
        new Row("a new chart version with a new generation upgrades the release", s => NewGeneration(NewChart(s)), AllReady, StepAction.Install, StorePhase.Provisioning, Requeue.Now, "Upgrading"),
        new Row("a release on another chart version is not upgraded again and again", NewChart, AllReady, StepAction.Wait, StorePhase.Ready, Requeue.Resync, "StoreReady"),
        new Row("a Ready store whose namespace vanished is rebuilt", WasReady, Empty, StepAction.EnsureNamespace, StorePhase.Provisioning, Requeue.Now, "DriftDetected"),
        new Row("a Ready store whose release vanished is reinstalled", WasReady, Seen(release: ReleaseInfo.None), StepAction.Install, StorePhase.Provisioning, Requeue.Now, "DriftDetected"),
        new Row("a Ready store with a failing pod is reported, not given up on", WasReady, Seen(wp: Failing), StepAction.Wait, StorePhase.Error, Requeue.Poll, "Degraded"),
        new Row("a Ready store that is still fine resyncs", WasReady, AllReady, StepAction.Wait, StorePhase.Ready, Requeue.Resync, "StoreReady"),
        new Row("deleting starts with helm uninstall", Deleting, AllReady, StepAction.Uninstall, StorePhase.Deleting, Requeue.Now, "Uninstalling"),
        new Row("then deletes the namespace", Deleting, Seen(release: ReleaseInfo.None), StepAction.DeleteNamespace, StorePhase.Deleting, Requeue.Now, "DeletingNamespace"),
        new Row("then waits for it to go", Deleting, Empty with { Namespace = NamespaceState.Terminating }, StepAction.Wait, StorePhase.Deleting, Requeue.Poll, "WaitingForNamespace"),
        new Row("then forgets the store", Deleting, Empty, StepAction.Forget, StorePhase.Deleting, Requeue.Never, "Deleted"),
        new Row("deleting a store that never got a namespace forgets it at once", s => Deleting(Late(s)), Empty, StepAction.Forget, StorePhase.Deleting, Requeue.Never, "Deleted"),
        new Row("deleting ignores the provisioning deadline", s => Deleting(Late(s)), AllReady, StepAction.Uninstall, StorePhase.Deleting, Requeue.Now, "Uninstalling"),
        new Row("a store without a certificate of its own (wildcard or plain HTTP) is Ready without one", Fresh, AllReady with { Certificate = null }, StepAction.Wait, StorePhase.Ready, Requeue.Resync, "StoreReady"),
        new Row("a per-store certificate is waited for only once the setup is done", Fresh, Seen(setup: Starting) with { Certificate = Issuing }, StepAction.Wait, StorePhase.Provisioning, Requeue.Poll, "WaitingForSetup"),
        new Row("a per-store certificate still being issued keeps the store from Ready", Fresh, AllReady with { Certificate = Issuing }, StepAction.Wait, StorePhase.Provisioning, Requeue.Poll, "WaitingForCertificate"),
        new Row("a per-store certificate that cannot be issued shows Error and is looked at again with backoff", Fresh, AllReady with { Certificate = CertificateFailing }, StepAction.Wait, StorePhase.Error, Requeue.Backoff, "CertificateFailed"),
        new Row("a store is Ready once its own certificate is issued", Fresh, AllReady with { Certificate = Ready }, StepAction.Wait, StorePhase.Ready, Requeue.Resync, "StoreReady"),
        new Row("a Ready store whose certificate stopped being valid is Degraded", WasReady, AllReady with { Certificate = CertificateFailing }, StepAction.Wait, StorePhase.Error, Requeue.Poll, "Degraded"),
        new Row("past the deadline without a certificate, provisioning gives up", Late, AllReady with { Certificate = Issuing }, StepAction.GiveUp, StorePhase.Error, Requeue.Never, "ProvisioningTimedOut"));

    [Theory, MemberData(nameof(Table))]
    public void TheDecisionFollowsTheTable(Row row)
    {
        var store = row.Given(new Store
        {
            Id = Guid.NewGuid(), Name = "Shop", Slug = "shop", Engine = "woocommerce", ChartVersion = "0.1.0",
            Generation = 1, ObservedGeneration = 1, Phase = StorePhase.Provisioning, CreatedAt = Now.AddMinutes(-2),
            ProvisioningDeadline = Now.AddMinutes(10), AdminPasswordProtected = "sealed", AdminUser = "storeadmin",
        });

        var decision = StoreDecision.Decide(store, row.Seen, Now, Policy);

        Assert.Equal((row.Action, row.Phase, row.Requeue, row.Reason), (decision.Action, decision.Phase, decision.Requeue, decision.Reason));
        // TLSReady (before Ready) only for a store with a certificate of its own.
        var expected = row.Seen.Certificate is null ? StoreConditions.Order
            : [.. StoreConditions.Order[..^1], StoreConditions.TlsReady, StoreConditions.Ready];
        Assert.Equal(expected, decision.Conditions.Select(c => c.Type));
        var ready = decision.Conditions.Single(c => c.Type == StoreConditions.Ready);
        Assert.Equal(row.Reason, ready.Reason);
        Assert.False(string.IsNullOrWhiteSpace(ready.Message));
        Assert.Equal(row.Phase == StorePhase.Ready ? "True" : "False", ready.Status);
    }

    [Fact]
    public void AClusterWarningIsPartOfTheMessageUsersSee()
    {
        var store = new Store { Name = "Shop", Slug = "shop", Engine = "woocommerce", ChartVersion = "0.1.0", ObservedGeneration = 1, ProvisioningDeadline = Now.AddMinutes(5), AdminPasswordProtected = "sealed", AdminUser = "storeadmin" };

        var decision = StoreDecision.Decide(store, Seen(wp: Failing, setup: ComponentStatus.Absent, warnings: "FailedScheduling: 0/1 nodes: pod has unbound immediate PersistentVolumeClaims"), Now, Policy);

        Assert.Contains("ImagePullBackOff", decision.Message);
        Assert.Contains("unbound immediate PersistentVolumeClaims", decision.Message);
    }

    [Fact]
    public void AConditionKeepsItsTransitionTimeWhileItsStatusHolds()
    {
        var store = new Store { Name = "Shop", Slug = "shop", Engine = "woocommerce", ChartVersion = "0.1.0", ObservedGeneration = 1, ProvisioningDeadline = Now.AddMinutes(5), AdminPasswordProtected = "sealed", AdminUser = "storeadmin" };
        var first = StoreDecision.Decide(store, Seen(setup: Starting), Now, Policy);
        store.Conditions = [.. first.Conditions];

        var later = StoreDecision.Decide(store, AllReady, Now.AddMinutes(1), Policy);

        Assert.Equal(Now, later.Conditions.Single(c => c.Type == StoreConditions.DatabaseReady).LastTransitionTime);
        Assert.Equal(Now.AddMinutes(1), later.Conditions.Single(c => c.Type == StoreConditions.StoreConfigured).LastTransitionTime);
    }

    [Fact]
    public void ANamespaceStuckTerminatingIsReportedWithWhatToDo()
    {
        var store = Deleting(new Store { Name = "Shop", Slug = "shop", Engine = "woocommerce", ChartVersion = "0.1.0", ObservedGeneration = 1 });
        store.DeletionRequestedAt = Now.AddMinutes(-30);

        var decision = StoreDecision.Decide(store, Empty with { Namespace = NamespaceState.Terminating }, Now, Policy);

        Assert.Equal("NamespaceStuckTerminating", decision.Reason);
        Assert.Contains("kubectl get namespace store-shop", decision.Message);
    }

    [Fact]
    public void TheTlsConditionSaysWhetherTheStoresOwnCertificateIsIssued()
    {
        var store = new Store { Name = "Shop", Slug = "shop", Engine = "woocommerce", ChartVersion = "0.1.0", ObservedGeneration = 1, ProvisioningDeadline = Now.AddMinutes(5), AdminPasswordProtected = "sealed" };

        var issuing = StoreDecision.Decide(store, AllReady with { Certificate = Issuing }, Now, Policy).Conditions.Single(c => c.Type == StoreConditions.TlsReady);
        var failed = StoreDecision.Decide(store, AllReady with { Certificate = CertificateFailing }, Now, Policy).Conditions.Single(c => c.Type == StoreConditions.TlsReady);
        var issued = StoreDecision.Decide(store, AllReady with { Certificate = Ready }, Now, Policy).Conditions.Single(c => c.Type == StoreConditions.TlsReady);

        Assert.Equal(("False", "Issuing"), (issuing.Status, issuing.Reason));
        Assert.Equal(("False", "IssuingFailed"), (failed.Status, failed.Reason));
        Assert.Contains("rateLimited", failed.Message);
        Assert.Equal(("True", "Issued"), (issued.Status, issued.Reason));
    }

    /// <summary>One reconcile in a store's life: an observation, or a step that failed with a reason.</summary>
    public sealed record Moment(TimeSpan At, StoreObservation? Seen, string? FailedWith, string ReadyStatus, TimeSpan ReadySince);

    [Fact]
    public void ReadyKeepsItsTransitionTimeAcrossResyncsAndMovesOnlyWhenItsStatusChanges()
    {
        var store = new Store
        {
            Id = Guid.NewGuid(), Name = "Shop", Slug = "shop", Engine = "woocommerce", ChartVersion = "0.1.0", ObservedGeneration = 1,
            Phase = StorePhase.Provisioning, ProvisioningDeadline = Now.AddMinutes(15), AdminPasswordProtected = "sealed", AdminUser = "storeadmin",
        };
        var m = TimeSpan.FromMinutes(1);
        Moment[] life =
        [
            new(0 * m, Seen(setup: Starting), null, "False", 0 * m),
            new(1 * m, Seen(setup: Starting), null, "False", 0 * m),
            new(2 * m, Seen(setup: Starting, warnings: "BackOff: pulling"), null, "False", 0 * m),
            new(3 * m, AllReady, null, "True", 3 * m),
            new(13 * m, AllReady, null, "True", 3 * m),
            new(TimeSpan.FromDays(7), AllReady, null, "True", 3 * m),
            new(TimeSpan.FromDays(7) + m, null, "ClusterUnreachable", "Unknown", TimeSpan.FromDays(7) + m),
            new(TimeSpan.FromDays(7) + 2 * m, null, "ClusterUnreachable", "Unknown", TimeSpan.FromDays(7) + m),
            new(TimeSpan.FromDays(7) + 3 * m, AllReady, null, "True", TimeSpan.FromDays(7) + 3 * m),
            new(TimeSpan.FromDays(7) + 4 * m, Seen(wp: Failing), null, "False", TimeSpan.FromDays(7) + 4 * m),
            new(TimeSpan.FromDays(7) + 5 * m, Seen(wp: Failing), null, "False", TimeSpan.FromDays(7) + 4 * m),
        ];

        foreach (var moment in life)
        {
            var now = Now + moment.At;
            var decision = moment.Seen is { } seen
                ? StoreDecision.Decide(store, seen, now, Policy)
                : StoreDecision.Decide(store, new StepFailure(moment.FailedWith!, "the API server did not answer"), now, Policy);
            // What the reconciler writes back.
            store.Conditions = [.. decision.Conditions];
            store.Phase = decision.Phase;
            store.Attempt = decision.Requeue == Requeue.Backoff ? store.Attempt + 1 : 0;
            if (decision.Phase == StorePhase.Ready) store.ReadyAt ??= now;

            var ready = store.Conditions.Single(c => c.Type == StoreConditions.Ready);
            Assert.Equal((moment.At, moment.ReadyStatus, Now + moment.ReadySince), (moment.At, ready.Status, ready.LastTransitionTime));
        }
    }

    public sealed record FailureRow(string Case, Func<Store, Store> Given, StepAction Action, StorePhase Phase, Requeue Requeue, string Reason, string ReadyStatus)
    {
        public override string ToString() => Case;
    }

    public static TheoryData<FailureRow> Failures => new(
        new FailureRow("a failed step while provisioning is shown as Error and retried with backoff", Fresh, StepAction.Wait, StorePhase.Error, Requeue.Backoff, "HelmFailed", "False"),
        new FailureRow("a failed step past the deadline gives up", Late, StepAction.GiveUp, StorePhase.Error, Requeue.Never, "ProvisioningTimedOut", "False"),
        new FailureRow("a Ready store that cannot be observed for a moment stays Ready, with Ready Unknown", WasReady, StepAction.Wait, StorePhase.Ready, Requeue.Backoff, "HelmFailed", "Unknown"),
        new FailureRow("a failed step while deleting stays a deletion and is retried", s => Deleting(Late(s)), StepAction.Wait, StorePhase.Deleting, Requeue.Backoff, "HelmFailed", "False"));

    [Theory, MemberData(nameof(Failures))]
    public void AFailedStepIsDecidedByTheTableToo(FailureRow row)
    {
        var store = row.Given(new Store
        {
            Id = Guid.NewGuid(), Name = "Shop", Slug = "shop", Engine = "woocommerce", ChartVersion = "0.1.0", Attempt = 2,
            Generation = 1, ObservedGeneration = 1, Phase = StorePhase.Provisioning, ProvisioningDeadline = Now.AddMinutes(10),
        });

        var decision = StoreDecision.Decide(store, new StepFailure("HelmFailed", "helm upgrade failed: Error: timed out"), Now, Policy);

        Assert.Equal((row.Action, row.Phase, row.Requeue, row.Reason), (decision.Action, decision.Phase, decision.Requeue, decision.Reason));
        var ready = decision.Conditions.Single(c => c.Type == StoreConditions.Ready);
        Assert.Equal((row.ReadyStatus, row.Reason), (ready.Status, ready.Reason));
        Assert.Contains("Error: timed out", ready.Message);
        Assert.True(decision.Failed);
        if (decision.Action != StepAction.GiveUp) Assert.StartsWith("Retry attempt 3: ", ready.Message);
    }
}
