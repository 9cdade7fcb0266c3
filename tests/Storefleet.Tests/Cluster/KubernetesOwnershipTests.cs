using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Storefleet.Stores;
using Storefleet.Tests.Charts;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Cluster;

/// <summary>
/// "Never touch what is not ours", on the real driver against the in-process API server: a namespace, Secret
/// or release with the store's name but another owner is reported, never read into, never written to; and the
/// worker's namespaced rights come from the RoleBinding it creates in each store namespace.
/// </summary>
public sealed class KubernetesOwnershipTests : IAsyncLifetime
{
    private static readonly StoreRef Store = new(Guid.Parse("01a21504-15d9-7ec7-beaa-69560c88be5a"), "ana-bakery");
    private static readonly Guid OldStore = Guid.Parse("0190aaaa-0000-7000-8000-000000000001");
    private const string StoreRole = "storefleet-storefleet-store";
    private static string Recorded(string file) => Path.Combine(ChartHarness.FindRepoRoot(), "tests", "Storefleet.Tests", "Cluster", "testdata", file);

    private FakeKubeApi _api = null!;
    private readonly FakeHelm _helm = new();
    private KubernetesStoreCluster _cluster = null!;
    private KubernetesClusterOptions _options = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubeApi.StartAsync();
        _options = new KubernetesClusterOptions
        {
            HelmPath = _helm.Path, ChartPath = "/charts/woocommerce-store", StoreRole = StoreRole, WorkerServiceAccount = "storefleet/storefleet-worker",
        };
        _cluster = new KubernetesStoreCluster(_api.Client(), new HelmCli(_options, NullLogger<HelmCli>.Instance), _options, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _helm.Dispose();
    }

    private static Dictionary<string, string> OwnedBy(Guid id) => new()
    {
        [KubernetesStoreCluster.ManagedBy] = "storefleet", [KubernetesStoreCluster.StoreIdLabel] = id.ToString(),
    };

    /// <summary>What an old store leaves in the cluster: its namespace and its Secret with its admin password.</summary>
    private void PlantOldStore(string password = "old-stores-password")
    {
        _api.AddNamespace(Store.Namespace, OwnedBy(OldStore));
        _api.AddSecret(Store.Namespace, "store-credentials", OwnedBy(OldStore), new Dictionary<string, string> { ["admin-password"] = password, ["admin-user"] = "admin" });
    }

    /// <summary>A recorded <c>helm status</c> whose values carry <paramref name="storeId"/> (null: no store.id at all).</summary>
    private string StatusFor(string? storeId)
    {
        var json = File.ReadAllText(Recorded("status-deployed.json"));
        json = storeId is null
            ? json.Replace($"\"id\": \"{Store.Id}\",", "", StringComparison.Ordinal)
            : json.Replace(Store.Id.ToString(), storeId, StringComparison.Ordinal);
        var file = Path.Combine(_helm.Dir, $"recorded-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        return file;
    }

    [Fact]
    public async Task ANamespaceOfAnotherStoreIsReportedAndNothingInsideItIsReadOrWritten()
    {
        PlantOldStore();
        _api.RequireRoleBinding = KubernetesStoreCluster.WorkerRoleBinding;

        var seen = await _cluster.ObserveAsync(Store, default);
        var ensure = await Assert.ThrowsAsync<ClusterException>(() => _cluster.EnsureNamespaceAsync(Store, default));
        var delete = await Assert.ThrowsAsync<ClusterException>(() => _cluster.DeleteNamespaceAsync(Store, default));

        Assert.Equal(new OwnershipConflict(ConflictingObject.Namespace, "store-ana-bakery", "store-ana-bakery", OldStore.ToString()), seen.Conflict);
        Assert.Equal(NamespaceState.Absent, seen.Namespace);
        Assert.False(seen.CredentialsExist);
        Assert.Equal((ClusterException.NamespaceConflict, ClusterException.NamespaceConflict), (ensure.Reason, delete.Reason));
        Assert.Contains(OldStore.ToString(), ensure.Message);
        // Observing read only the namespace object; ensuring tried to create the namespace (409) and stopped there:
        // no RoleBinding, no Secret, no delete.
        Assert.All(_api.Requests, r => Assert.DoesNotContain("/namespaces/store-ana-bakery/", r));
        Assert.Equal(["POST /api/v1/namespaces"], _api.Writes);
        Assert.Null(_api.RoleBinding(Store.Namespace, KubernetesStoreCluster.WorkerRoleBinding));
        Assert.Null(_api.Namespace(Store.Namespace)!.Metadata.DeletionTimestamp);
        Assert.Empty(_helm.Calls());
    }

    [Fact]
    public async Task ANamespaceSomeoneElseMadeWithoutOurLabelsIsAConflictWithNoStoreId()
    {
        _api.AddNamespace(Store.Namespace, new Dictionary<string, string> { ["team"] = "payments" });
        // Our store id but not managed by Storefleet is not ours either: both labels must match.
        _api.AddNamespace("store-half", new Dictionary<string, string> { [KubernetesStoreCluster.StoreIdLabel] = Store.Id.ToString() });

        var seen = await _cluster.ObserveAsync(Store, default);
        var half = await _cluster.ObserveAsync(Store with { Slug = "half" }, default);

        Assert.Equal(new OwnershipConflict(ConflictingObject.Namespace, "store-ana-bakery", "store-ana-bakery", null), seen.Conflict);
        Assert.Equal(ConflictingObject.Namespace, half.Conflict?.Object);
        Assert.Empty(_helm.Calls());
    }

    [Fact]
    public async Task AForeignSecretInOurNamespaceIsNeverReadBackNorOverwritten()
    {
        _api.AddNamespace(Store.Namespace, OwnedBy(Store.Id));
        _api.AddSecret(Store.Namespace, "store-credentials", OwnedBy(OldStore), new Dictionary<string, string> { ["admin-password"] = "someone-elses" });

        var seen = await _cluster.ObserveAsync(Store, default);
        var ensure = await Assert.ThrowsAsync<ClusterException>(() => _cluster.EnsureCredentialsAsync(Store, default));

        Assert.Equal(new OwnershipConflict(ConflictingObject.CredentialsSecret, "store-credentials", "store-ana-bakery", OldStore.ToString()), seen.Conflict);
        Assert.Equal(NamespaceState.Active, seen.Namespace);
        Assert.False(seen.CredentialsExist);
        Assert.Equal(ClusterException.NamespaceConflict, ensure.Reason);
        Assert.DoesNotContain("someone-elses", ensure.Message);
        Assert.Empty(_api.Writes);
        Assert.Equal("someone-elses", Encoding.UTF8.GetString(_api.Secret(Store.Namespace, "store-credentials")!.Data["admin-password"]));
        Assert.Empty(_helm.Calls()); // the release of a namespace with a foreign Secret is not even looked at
    }

    [Fact]
    public async Task ASecretWithoutAnyStoreIdIsNotOursEither()
    {
        _api.AddNamespace(Store.Namespace, OwnedBy(Store.Id));
        _api.AddSecret(Store.Namespace, "store-credentials", null, new Dictionary<string, string> { ["admin-password"] = "hand-made" });

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(new OwnershipConflict(ConflictingObject.CredentialsSecret, "store-credentials", "store-ana-bakery", null), seen.Conflict);
        await Assert.ThrowsAsync<ClusterException>(() => _cluster.EnsureCredentialsAsync(Store, default));
    }

    [Theory]
    [InlineData("0190aaaa-0000-7000-8000-000000000001")]
    [InlineData(null)] // installed by hand (or by anything but the engine): no store.id in its values
    public async Task AReleaseInstalledForAnotherStoreIsReportedAsAConflictAndNotUpgraded(string? owner)
    {
        _api.AddNamespace(Store.Namespace, OwnedBy(Store.Id));
        await _cluster.EnsureCredentialsAsync(Store, default);
        _helm.Status(StatusFor(owner));

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(new OwnershipConflict(ConflictingObject.Release, "ana-bakery", "store-ana-bakery", owner), seen.Conflict);
        Assert.Equal(ReleaseState.Absent, seen.Release.State); // so that deleting the store does not helm-uninstall it
        Assert.True(seen.CredentialsExist);
        Assert.Equal("status", Assert.Single(_helm.Calls())[0]);
    }

    [Fact]
    public async Task OurOwnReleaseCarriesOurStoreIdThroughHelmStatus()
    {
        _api.AddNamespace(Store.Namespace, OwnedBy(Store.Id));
        await _cluster.EnsureCredentialsAsync(Store, default);
        _helm.Status(Recorded("status-deployed.json"));

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Null(seen.Conflict);
        Assert.Equal(Store.Id.ToString(), seen.Release.StoreId);
        Assert.Equal(ReleaseState.Deployed, seen.Release.State);
    }

    [Fact]
    public async Task InstallingPassesTheStoreIdInTheValuesSoTheReleaseIsMarkedAsOurs()
    {
        _api.AddNamespace(Store.Namespace, OwnedBy(Store.Id));

        await _cluster.InstallAsync(new StoreRelease(Store, "Ana", "0.1.0", "ana@example.com"), default);

        var values = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_helm.CopiedValuesFiles().Single())).RootElement;
        Assert.Equal(Store.Id.ToString(), values.GetProperty("store").GetProperty("id").GetString());
    }

    [Fact]
    public async Task EnsuringTheNamespaceBindsTheStoreRoleToTheWorkerThereAndOnlyThereIdempotently()
    {
        _api.RequireRoleBinding = KubernetesStoreCluster.WorkerRoleBinding;

        await _cluster.EnsureNamespaceAsync(Store, default);
        await _cluster.EnsureNamespaceAsync(Store, default);
        var seen = await _cluster.ObserveAsync(Store, default);

        var binding = _api.RoleBinding(Store.Namespace, "storefleet-worker")!;
        Assert.Equal(("rbac.authorization.k8s.io", "ClusterRole", StoreRole), (binding.RoleRef.ApiGroup, binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "storefleet-worker", "storefleet"), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal(Store.Id.ToString(), binding.Metadata.Labels[KubernetesStoreCluster.StoreIdLabel]);
        Assert.Equal(2, _api.Requests.Count(r => r == "POST /apis/rbac.authorization.k8s.io/v1/namespaces/store-ana-bakery/rolebindings"));
        Assert.True(seen.AccessGranted);
        Assert.Equal(NamespaceState.Active, seen.Namespace);
    }

    [Fact]
    public async Task OurNamespaceWithoutTheWorkersRoleBindingIsObservedAsNotAccessibleYetAndEnsuringFixesIt()
    {
        // A worker stopped between creating the namespace and binding the role.
        _api.AddNamespace(Store.Namespace, OwnedBy(Store.Id));
        _api.RequireRoleBinding = KubernetesStoreCluster.WorkerRoleBinding;

        var before = await _cluster.ObserveAsync(Store, default);
        await _cluster.EnsureNamespaceAsync(Store, default);
        var after = await _cluster.ObserveAsync(Store, default);

        Assert.Equal((NamespaceState.Active, false, (OwnershipConflict?)null), (before.Namespace, before.AccessGranted, before.Conflict));
        Assert.True(after.AccessGranted);
        Assert.False(after.CredentialsExist);
    }

    [Fact]
    public async Task WithoutAStoreRoleConfiguredNoRoleBindingIsMadeAndForbiddenStaysAnRbacError()
    {
        var options = new KubernetesClusterOptions { HelmPath = _helm.Path };
        var developer = new KubernetesStoreCluster(_api.Client(), new HelmCli(options, NullLogger<HelmCli>.Instance), options, TimeProvider.System);

        await developer.EnsureNamespaceAsync(Store, default);
        _api.RequireRoleBinding = KubernetesStoreCluster.WorkerRoleBinding;
        var error = await Assert.ThrowsAsync<ClusterException>(() => developer.ObserveAsync(Store, default));

        Assert.DoesNotContain(_api.Requests, r => r.Contains("rolebindings", StringComparison.Ordinal));
        Assert.Equal("Forbidden", error.Reason);
    }

    [Fact]
    public async Task AStoreRoleWithoutTheWorkersAccountIsAConfigurationErrorThatSaysWhatToSet()
    {
        _options.WorkerServiceAccount = null;

        var error = await Assert.ThrowsAsync<ClusterException>(() => _cluster.EnsureNamespaceAsync(Store, default));

        Assert.Equal("Misconfigured", error.Reason);
        Assert.Contains("WorkerServiceAccount", error.Message);
    }

    /// <summary>
    /// The whole platform (API, worker, reconciler) on the real driver: the app database was restored to a state
    /// from before an old store existed, so a new store gets that store's slug while its namespace, Secret and
    /// release are still in the cluster. The new store ends in NamespaceConflict, its owner never sees the old
    /// password, nothing is written to the old namespace; once an operator removes it, Retry provisions afresh.
    /// </summary>
    [Fact]
    public async Task AfterADatabaseRestoreANewStoreWithAnOldSlugNeverGetsTheOldStoresNamespaceOrPassword()
    {
        PlantOldStore("old-stores-password");
        _helm.Status(StatusFor(OldStore.ToString()));
        _api.RequireRoleBinding = KubernetesStoreCluster.WorkerRoleBinding;
        await using var app = new TestApp(settings: Engine.Fast(timeout: "00:01:00"), services: s => s.AddSingleton<IStoreCluster>(_cluster));
        var ana = await app.ClientFor("ana@example.com");

        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await app.WaitForPhase(store.Id, StorePhase.Error);
        var failed = await (await ana.GetAsync($"/stores/{store.Id}")).Read<StoreResponse>(HttpStatusCode.OK);
        var credentials = await ana.GetAsync($"/stores/{store.Id}/credentials");
        var credentialsBody = await credentials.Content.ReadAsStringAsync();

        Assert.Equal("ana-bakery", store.Slug);
        var ready = failed.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal("NamespaceConflict", ready.Reason);
        Assert.Contains($"Namespace store-ana-bakery belongs to another store (storefleet.dev/store-id={OldStore})", ready.Message);
        Assert.Contains("kubectl delete namespace store-ana-bakery", ready.Message);
        Assert.Equal("Conflict", failed.Conditions.Single(c => c.Type == "NamespaceReady").Reason);
        Assert.Equal(HttpStatusCode.Conflict, credentials.StatusCode);
        Assert.DoesNotContain("old-stores-password", credentialsBody);
        Assert.Empty(_api.Writes); // the observation found the conflict: not even a create was tried
        Assert.All(_api.Requests, r => Assert.DoesNotContain("/namespaces/store-ana-bakery/", r)); // nor anything inside read
        Assert.Empty(_helm.Calls());
        await using (var db = app.NewDb())
        {
            var row = db.Stores.Single(s => s.Id == store.Id);
            Assert.Null(row.AdminPasswordProtected);
            Assert.Null(row.DueAt); // terminal: no retry loop
        }

        // The operator checks: the old store is gone for good. They remove its namespace, and the owner retries.
        _api.RemoveNamespace(Store.Namespace);
        _helm.Status(null);
        (await ana.PostAsync($"/stores/{store.Id}/retry", null)).EnsureSuccessStatusCode();
        await app.WaitUntil(db => Task.FromResult(db.Stores.Any(s => s.Id == store.Id && s.AdminPasswordProtected != null)), TimeSpan.FromSeconds(20), "the new store has its own credentials");
        var fresh = await (await ana.GetAsync($"/stores/{store.Id}/credentials")).Read<CredentialsResponse>(HttpStatusCode.OK);

        Assert.NotEqual("old-stores-password", fresh.Password);
        var secret = _api.Secret("store-ana-bakery", "store-credentials")!;
        Assert.Equal(fresh.Password, Encoding.UTF8.GetString(secret.Data["admin-password"]));
        Assert.Equal(store.Id.ToString(), secret.Metadata.Labels[KubernetesStoreCluster.StoreIdLabel]);
        Assert.Equal(store.Id.ToString(), _api.Namespace("store-ana-bakery")!.Metadata.Labels[KubernetesStoreCluster.StoreIdLabel]);
    }
}
