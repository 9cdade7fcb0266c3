using Microsoft.Extensions.Logging.Abstractions;
using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Cluster;

/// <summary>
/// What the engine relies on from any <see cref="IStoreCluster"/> (see its documentation), run against both
/// implementations: the simulated twin, and the real driver over the fake API server with a recording helm.
/// A behaviour the twin has and the driver lacks (or the reverse) fails here.
/// </summary>
public abstract class StoreClusterContract : IAsyncLifetime
{
    protected static readonly StoreRef Store = new(Guid.Parse("01a21504-15d9-7ec7-beaa-69560c88be5a"), "ana-bakery");

    protected IStoreCluster Cluster { get; set; } = null!;

    public abstract Task InitializeAsync();
    public abstract Task DisposeAsync();

    /// <summary>Puts a namespace named like the store's there that carries no store id (someone else's).</summary>
    protected abstract void PlantForeignNamespace(string slug);

    [Fact]
    public async Task ANewStoreIsObservedAsNothing()
    {
        var seen = await Cluster.ObserveAsync(Store, default);

        Assert.Equal(NamespaceState.Absent, seen.Namespace);
        Assert.False(seen.CredentialsExist);
        Assert.Equal(ReleaseState.Absent, seen.Release.State);
        Assert.Null(seen.Conflict);
    }

    [Fact]
    public async Task EnsuringTheNamespaceTwiceSucceedsAndItIsObservedActiveAndListedAsManaged()
    {
        await Cluster.EnsureNamespaceAsync(Store, default);
        await Cluster.EnsureNamespaceAsync(Store, default);

        Assert.Equal(NamespaceState.Active, (await Cluster.ObserveAsync(Store, default)).Namespace);
        var managed = new List<ManagedNamespace>();
        await foreach (var ns in Cluster.ListManagedAsync(default)) managed.Add(ns);
        Assert.Contains(managed, m => m.Name == Store.Namespace);
    }

    [Fact]
    public async Task CredentialsAreGeneratedOnceAndNeverRegenerated()
    {
        await Cluster.EnsureNamespaceAsync(Store, default);

        var first = await Cluster.EnsureCredentialsAsync(Store, default);
        var second = await Cluster.EnsureCredentialsAsync(Store, default);

        Assert.Equal(first, second);
        Assert.Equal(StoreCredentials.DefaultAdminUser, first.AdminUser);
        Assert.True(first.AdminPassword.Length >= 16, "a generated password is long");
        Assert.True((await Cluster.ObserveAsync(Store, default)).CredentialsExist);
    }

    [Fact]
    public async Task UninstallingAndDeletingWhatIsNotThereSucceeds()
    {
        await Cluster.UninstallAsync(Store, default);
        await Cluster.DeleteNamespaceAsync(Store, default);

        Assert.Equal(NamespaceState.Absent, (await Cluster.ObserveAsync(Store, default)).Namespace);
    }

    [Fact]
    public async Task ADeletedNamespaceIsNoLongerActive()
    {
        await Cluster.EnsureNamespaceAsync(Store, default);

        await Cluster.DeleteNamespaceAsync(Store, default);

        Assert.NotEqual(NamespaceState.Active, (await Cluster.ObserveAsync(Store, default)).Namespace);
    }

    [Fact]
    public async Task ANamespaceThatIsNotTheStoresIsReportedAndNeverWrittenTo()
    {
        PlantForeignNamespace(Store.Slug);

        var seen = await Cluster.ObserveAsync(Store, default);
        var ensure = await Assert.ThrowsAsync<ClusterException>(() => Cluster.EnsureNamespaceAsync(Store, default));
        var delete = await Assert.ThrowsAsync<ClusterException>(() => Cluster.DeleteNamespaceAsync(Store, default));

        Assert.Equal(ConflictingObject.Namespace, seen.Conflict?.Object);
        Assert.Equal(ClusterException.NamespaceConflict, ensure.Reason);
        Assert.Equal(ClusterException.NamespaceConflict, delete.Reason);
    }
}

public sealed class SimulatedClusterContractTests : StoreClusterContract
{
    private SimulatedCluster _twin = null!;

    public override Task InitializeAsync()
    {
        _twin = new SimulatedCluster(new SimulatedClusterOptions { StepDelay = TimeSpan.Zero, NamespaceTerminationDelay = TimeSpan.FromMinutes(1) }, TimeProvider.System);
        Cluster = _twin;
        return Task.CompletedTask;
    }

    public override Task DisposeAsync() => Task.CompletedTask;

    protected override void PlantForeignNamespace(string slug) => _twin.PlantForeignNamespace(slug, storeId: null);

    [Fact]
    public void TheTwinOffersNothingPublicBeyondTheClusterPortSoTestControlsStayInTheTestProject()
    {
        var port = typeof(IStoreCluster).GetMethods().Select(m => m.Name);
        var offered = typeof(SimulatedCluster).GetMembers(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(m => m is not System.Reflection.ConstructorInfo).Select(m => m.Name);

        Assert.Equal(port.Order(), offered.Order());
    }
}

public sealed class KubernetesClusterContractTests : StoreClusterContract
{
    private FakeKubeApi _api = null!;
    private readonly FakeHelm _helm = new();

    public override async Task InitializeAsync()
    {
        _api = await FakeKubeApi.StartAsync();
        var options = new KubernetesClusterOptions { HelmPath = _helm.Path, ChartPath = "/charts/woocommerce-store", BaseDomain = "127.0.0.1.nip.io" };
        Cluster = new KubernetesStoreCluster(_api.Client(), new HelmCli(options, NullLogger<HelmCli>.Instance), options, TimeProvider.System);
    }

    public override async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _helm.Dispose();
    }

    protected override void PlantForeignNamespace(string slug) =>
        _api.AddNamespace($"store-{slug}", new Dictionary<string, string> { ["team"] = "payments" });
}
