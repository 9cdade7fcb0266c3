using Storefleet.Cluster;
using Storefleet.Provisioning;
using Storefleet.Stores;

namespace Storefleet.Tests.Provisioning;

/// <summary>
/// The decision table for ownership: what Decide does when something with the store's name is not the store's,
/// and when the worker's access to its own namespace is missing.
/// </summary>
public class OwnershipDecisionTests
{
    private static readonly DateTime Now = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);
    private static readonly ReconcilePolicy Policy = new();
    private static readonly Guid StoreId = Guid.Parse("01a21504-15d9-7ec7-beaa-69560c88be5a");
    private const string Other = "0190aaaa-0000-7000-8000-000000000001";

    private static readonly ComponentStatus Ready = new(ComponentState.Ready, "ready");
    private static readonly ReleaseInfo Deployed = new(ReleaseState.Deployed, 1, "0.1.0", Now.AddMinutes(-1), "Install complete") { StoreId = StoreId.ToString() };
    private static readonly StoreObservation AllReady = new(NamespaceState.Active, true, Deployed, Ready, Ready, Ready, "http://shop.example/", []);

    private static readonly StoreObservation ForeignNamespace = StoreObservation.Nothing with { Conflict = new(ConflictingObject.Namespace, "store-shop", "store-shop", Other) };
    private static readonly StoreObservation UnlabelledNamespace = StoreObservation.Nothing with { Conflict = new(ConflictingObject.Namespace, "store-shop", "store-shop", null) };
    private static readonly StoreObservation ForeignSecret = StoreObservation.Nothing with
    {
        Namespace = NamespaceState.Active, Conflict = new(ConflictingObject.CredentialsSecret, "store-credentials", "store-shop", Other),
    };
    private static readonly StoreObservation ForeignRelease = StoreObservation.Nothing with
    {
        Namespace = NamespaceState.Active, CredentialsExist = true, Conflict = new(ConflictingObject.Release, "shop", "store-shop", null),
    };
    private static readonly StoreObservation NoAccess = StoreObservation.Nothing with { Namespace = NamespaceState.Active, AccessGranted = false };

    public sealed record Row(string Case, Func<Store, Store> Given, StoreObservation Seen, StepAction Action, StorePhase Phase, Requeue Requeue, string Reason)
    {
        public override string ToString() => Case;
    }

    private static Store Fresh(Store s) => s;
    private static Store Deleting(Store s) { s.DeletionRequestedAt = Now.AddMinutes(-1); s.Phase = StorePhase.Deleting; return s; }
    private static Store WasReady(Store s) { s.ReadyAt = Now.AddHours(-1); s.Phase = StorePhase.Ready; s.ProvisioningDeadline = null; return s; }
    private static Store Late(Store s) { s.ProvisioningDeadline = Now.AddSeconds(-1); return s; }

    public static TheoryData<Row> Table => new(
        new Row("another store's namespace is never adopted: terminal Error", Fresh, ForeignNamespace, StepAction.GiveUp, StorePhase.Error, Requeue.Never, "NamespaceConflict"),
        new Row("a namespace without our labels neither", Fresh, UnlabelledNamespace, StepAction.GiveUp, StorePhase.Error, Requeue.Never, "NamespaceConflict"),
        new Row("another store's Secret in our namespace is never read back", Fresh, ForeignSecret, StepAction.GiveUp, StorePhase.Error, Requeue.Never, "NamespaceConflict"),
        new Row("a release not installed for this store is never upgraded", Fresh, ForeignRelease, StepAction.GiveUp, StorePhase.Error, Requeue.Never, "NamespaceConflict"),
        new Row("a conflict wins over the deadline: it says more than 'timed out'", Late, ForeignNamespace, StepAction.GiveUp, StorePhase.Error, Requeue.Never, "NamespaceConflict"),
        new Row("a Ready store that finds a foreign object is stopped, not repaired over it", WasReady, ForeignRelease, StepAction.GiveUp, StorePhase.Error, Requeue.Never, "NamespaceConflict"),
        new Row("deleting a store whose namespace is someone else's forgets the store and leaves the namespace", Deleting, ForeignNamespace, StepAction.Forget, StorePhase.Deleting, Requeue.Never, "Deleted"),
        new Row("deleting with a foreign release in our namespace skips helm uninstall and deletes our namespace", Deleting, ForeignRelease, StepAction.DeleteNamespace, StorePhase.Deleting, Requeue.Now, "DeletingNamespace"),
        new Row("deleting with a foreign Secret in our namespace deletes our namespace", Deleting, ForeignSecret, StepAction.DeleteNamespace, StorePhase.Deleting, Requeue.Now, "DeletingNamespace"),
        new Row("our namespace without the worker's RoleBinding gets it, polled (RBAC takes a moment)", Fresh, NoAccess, StepAction.EnsureNamespace, StorePhase.Provisioning, Requeue.Poll, "GrantingAccess"),
        new Row("a Ready store whose RoleBinding vanished is repaired as drift", WasReady, NoAccess, StepAction.EnsureNamespace, StorePhase.Provisioning, Requeue.Poll, "DriftDetected"),
        new Row("deleting without access still deletes our namespace (a cluster-wide right)", Deleting, NoAccess, StepAction.DeleteNamespace, StorePhase.Deleting, Requeue.Now, "DeletingNamespace"),
        new Row("our own release, with our store id, is simply Ready", Fresh, AllReady, StepAction.Wait, StorePhase.Ready, Requeue.Resync, "StoreReady"));

    private static Store NewStore() => new()
    {
        Id = StoreId, Name = "Shop", Slug = "shop", Engine = "woocommerce", ChartVersion = "0.1.0",
        Generation = 1, ObservedGeneration = 1, Phase = StorePhase.Provisioning, CreatedAt = Now.AddMinutes(-2),
        ProvisioningDeadline = Now.AddMinutes(10), AdminPasswordProtected = "sealed", AdminUser = "storeadmin",
    };

    [Theory, MemberData(nameof(Table))]
    public void TheDecisionFollowsTheTable(Row row)
    {
        var decision = StoreDecision.Decide(row.Given(NewStore()), row.Seen, Now, Policy);

        Assert.Equal((row.Action, row.Phase, row.Requeue, row.Reason), (decision.Action, decision.Phase, decision.Requeue, decision.Reason));
        Assert.Equal(StoreConditions.Order, decision.Conditions.Select(c => c.Type));
        var ready = decision.Conditions.Single(c => c.Type == StoreConditions.Ready);
        Assert.Equal((row.Reason, row.Phase == StorePhase.Ready ? "True" : "False"), (ready.Reason, ready.Status));
        Assert.False(string.IsNullOrWhiteSpace(ready.Message));
    }

    [Theory]
    [InlineData(ConflictingObject.Namespace, Other, "Namespace store-shop belongs to another store (storefleet.dev/store-id=" + Other + "), not to this one (01a21504-15d9-7ec7-beaa-69560c88be5a).", "kubectl delete namespace store-shop")]
    [InlineData(ConflictingObject.Namespace, null, "Namespace store-shop exists but is not labelled as this store's (no storefleet.dev/store-id=01a21504-15d9-7ec7-beaa-69560c88be5a).", "kubectl delete namespace store-shop")]
    [InlineData(ConflictingObject.CredentialsSecret, Other, "Secret store-credentials in namespace store-shop belongs to another store", "kubectl delete secret store-credentials -n store-shop")]
    [InlineData(ConflictingObject.Release, null, "Helm release shop in namespace store-shop exists but is not labelled as this store's", "helm uninstall shop -n store-shop")]
    public void TheConflictMessageSaysWhichObjectWhoseItIsAndWhatAnOperatorDoes(ConflictingObject what, string? owner, string whose, string remedy)
    {
        var name = what switch { ConflictingObject.CredentialsSecret => "store-credentials", ConflictingObject.Release => "shop", _ => "store-shop" };
        var seen = StoreObservation.Nothing with { Conflict = new(what, name, "store-shop", owner) };

        var decision = StoreDecision.Decide(NewStore(), seen, Now, Policy);

        Assert.StartsWith(whose, decision.Message);
        Assert.Contains($"({remedy})", decision.Message);
        Assert.Contains("Storefleet has written nothing to it", decision.Message);
        Assert.Contains("retries this store", decision.Message);
        Assert.Contains("delete this store and create it again", decision.Message);
    }

    [Fact]
    public void TheConditionsSayWhichPartConflicts()
    {
        var onNamespace = StoreDecision.Decide(NewStore(), ForeignNamespace, Now, Policy);
        var onRelease = StoreDecision.Decide(NewStore(), ForeignRelease, Now, Policy);

        Assert.Equal("Conflict", onNamespace.Conditions.Single(c => c.Type == StoreConditions.NamespaceReady).Reason);
        Assert.Equal("Active", onRelease.Conditions.Single(c => c.Type == StoreConditions.NamespaceReady).Reason);
        Assert.Equal("Conflict", onRelease.Conditions.Single(c => c.Type == StoreConditions.ReleaseDeployed).Reason);
    }
}
