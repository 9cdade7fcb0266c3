using System.Text;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Storefleet.Tests.Charts;

namespace Storefleet.Tests.Cluster;

/// <summary>The real driver (KubernetesStoreCluster) against an in-process API server and a recording helm.</summary>
public sealed class KubernetesDriverTests : IAsyncLifetime
{
    private static readonly StoreRef Store = new(Guid.Parse("01a21504-15d9-7ec7-beaa-69560c88be5a"), "ana-bakery");
    private static string Recorded(string file) => Path.Combine(ChartHarness.FindRepoRoot(), "tests", "Storefleet.Tests", "Cluster", "testdata", file);

    private static readonly string OperatorValues = Path.Combine(Path.GetTempPath(), "storefleet-operator-values.yaml");
    private FakeKubeApi _api = null!;
    private readonly FakeHelm _helm = new();
    private KubernetesStoreCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(OperatorValues, "baseDomain: 127.0.0.1.nip.io\n");
        _api = await FakeKubeApi.StartAsync();
        var options = new KubernetesClusterOptions
        {
            HelmPath = _helm.Path, ChartPath = "/charts/woocommerce-store", ValuesFiles = [OperatorValues],
            BaseDomain = "127.0.0.1.nip.io",
        };
        _cluster = new KubernetesStoreCluster(_api.Client(), new HelmCli(options, NullLogger<HelmCli>.Instance), options, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _helm.Dispose();
    }

    private void AddOurNamespace() => _api.AddNamespace(Store.Namespace, new Dictionary<string, string>
    {
        [KubernetesStoreCluster.ManagedBy] = "storefleet", [KubernetesStoreCluster.StoreIdLabel] = Store.Id.ToString(),
    });

    [Fact]
    public async Task EnsuringTheNamespaceCreatesItLabelledAsOursAndIsIdempotent()
    {
        await _cluster.EnsureNamespaceAsync(Store, default);
        await _cluster.EnsureNamespaceAsync(Store, default);

        var ns = _api.Namespace("store-ana-bakery")!;
        Assert.Equal("storefleet", ns.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal(Store.Id.ToString(), ns.Metadata.Labels["storefleet.dev/store-id"]);
        Assert.Equal("restricted", ns.Metadata.Labels["pod-security.kubernetes.io/enforce"]);
        Assert.Equal(2, _api.Requests.Count(r => r == "POST /api/v1/namespaces"));
    }

    [Fact]
    public async Task ANamespaceOfTheSameNameThatIsNotThisStoresIsNeverAdopted()
    {
        _api.AddNamespace("store-ana-bakery", new Dictionary<string, string> { ["team"] = "payments" });

        var error = await Assert.ThrowsAsync<ClusterException>(() => _cluster.EnsureNamespaceAsync(Store, default));
        var delete = await Assert.ThrowsAsync<ClusterException>(() => _cluster.DeleteNamespaceAsync(Store, default));

        Assert.Equal(ClusterException.NamespaceConflict, error.Reason);
        Assert.Equal(ClusterException.NamespaceConflict, delete.Reason);
        Assert.Null(_api.Namespace("store-ana-bakery")!.Metadata.DeletionTimestamp);
    }

    [Fact]
    public async Task CredentialsAreGeneratedOnceAndNeverRegenerated()
    {
        AddOurNamespace();

        var first = await _cluster.EnsureCredentialsAsync(Store, default);
        var second = await _cluster.EnsureCredentialsAsync(Store, default);

        Assert.Equal(first, second);
        Assert.Equal(32, first.AdminPassword.Length);
        var secret = _api.Secret("store-ana-bakery", "store-credentials")!;
        Assert.Equal(
            ["admin-password", "admin-user", "db-password", "db-root-password", "wp-auth-key", "wp-auth-salt", "wp-logged-in-key", "wp-logged-in-salt",
             "wp-nonce-key", "wp-nonce-salt", "wp-secure-auth-key", "wp-secure-auth-salt"],
            secret.Data.Keys.Order());
        Assert.Equal(first.AdminPassword, Encoding.UTF8.GetString(secret.Data["admin-password"]));
        Assert.Equal(1, _api.Requests.Count(r => r.StartsWith("POST /api/v1/namespaces/store-ana-bakery/secrets", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task InstallingCallsHelmWithAnArgumentArrayAndAValuesFileThatIsRemovedAfterwards()
    {
        AddOurNamespace();
        var release = new StoreRelease(Store, "Ana's \"Bakery\": --set image.tag=evil\n$(reboot)", "0.1.0", "ana@example.com");

        await _cluster.InstallAsync(release, default);

        var call = Assert.Single(_helm.Calls());
        Assert.Equal(["upgrade", "--install", "ana-bakery", "/charts/woocommerce-store", "--namespace", "store-ana-bakery", "--history-max", "10", "--timeout", "300s",
            "--values", OperatorValues, "--values"], call[..^1]);
        Assert.DoesNotContain(call, a => a.Contains("Bakery", StringComparison.Ordinal)); // the name travels only inside the values file
        Assert.False(File.Exists(call[^1]), "the generated values file is deleted after helm ran");
        var copied = _helm.CopiedValuesFiles().Single(f => f.EndsWith(".json", StringComparison.Ordinal));
        var values = System.Text.Json.JsonDocument.Parse(File.ReadAllText(copied)).RootElement;
        Assert.Equal(release.DisplayName, values.GetProperty("store").GetProperty("name").GetString());
        Assert.Equal("ana-bakery.127.0.0.1.nip.io", values.GetProperty("ingress").GetProperty("host").GetString());
        Assert.Equal("store-credentials", values.GetProperty("credentials").GetProperty("existingSecret").GetString());
    }

    [Fact]
    public async Task AFailedInstallCarriesHelmsOwnMessage()
    {
        AddOurNamespace();
        _helm.FailUpgrades("Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n");

        var error = await Assert.ThrowsAsync<ClusterException>(() => _cluster.InstallAsync(new StoreRelease(Store, "Ana", "0.1.0", "a@example.com"), default));

        Assert.Equal("InstallFailed", error.Reason);
        Assert.Contains("another operation (install/upgrade/rollback) is in progress", error.Message);
    }

    [Fact]
    public async Task ObservingReadsTheReleasePodsSetupJobEventsAndIngress()
    {
        AddOurNamespace();
        await _cluster.EnsureCredentialsAsync(Store, default);
        _helm.Status(Recorded("status-deployed.json"));
        _api.Pods.Add(Pod("ana-bakery-mysql-0", "database", ready: true));
        _api.Pods.Add(Pod("ana-bakery-wordpress-7d9f", "wordpress", ready: false, waiting: ("ImagePullBackOff", "Back-off pulling image \"wordpress:6.8.3\"")));
        _api.Jobs.Add(new V1Job
        {
            Metadata = Meta("ana-bakery-setup-r1", "setup"),
            Status = new V1JobStatus { Active = 1 },
        });
        _api.Events.Add(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "e1", NamespaceProperty = Store.Namespace }, Type = "Warning", Reason = "Failed",
            Message = "Failed to pull image \"wordpress:6.8.3\": not found", LastTimestamp = DateTime.UtcNow.AddSeconds(-20),
            InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "ana-bakery-wordpress-7d9f" },
        });
        _api.Events.Add(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "e0", NamespaceProperty = Store.Namespace }, Type = "Warning", Reason = "Stale",
            Message = "from last week", LastTimestamp = DateTime.UtcNow.AddDays(-7), InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "x" },
        });
        _api.Ingresses.Add(new V1Ingress
        {
            Metadata = Meta("ana-bakery", "wordpress"),
            Spec = new V1IngressSpec { Rules = [new V1IngressRule { Host = "ana-bakery.shops.example.com" }], Tls = [new V1IngressTLS { Hosts = ["ana-bakery.shops.example.com"] }] },
        });

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(NamespaceState.Active, seen.Namespace);
        Assert.True(seen.CredentialsExist);
        Assert.Equal((ReleaseState.Deployed, 1, "0.1.0"), (seen.Release.State, seen.Release.Revision, seen.Release.ChartVersion));
        Assert.Equal(ComponentState.Ready, seen.Database.State);
        Assert.Equal(ComponentState.Failed, seen.WordPress.State);
        Assert.Contains("ImagePullBackOff", seen.WordPress.Message);
        Assert.Equal(ComponentState.Progressing, seen.Setup.State);
        Assert.Equal("https://ana-bakery.shops.example.com/", seen.StorefrontUrl);
        Assert.Equal(["Failed: Failed to pull image \"wordpress:6.8.3\": not found (pod/ana-bakery-wordpress-7d9f)"], seen.Warnings);
        Assert.Equal(["status", "ana-bakery", "--namespace", "store-ana-bakery", "--output", "json"], _helm.Calls().Single());
    }

    [Fact]
    public async Task ObservingAMissingOrTerminatingNamespace()
    {
        var missing = await _cluster.ObserveAsync(Store, default);
        _api.AddNamespace(Store.Namespace, terminating: true);
        var terminating = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(StoreObservation.Nothing, missing);
        Assert.Equal(NamespaceState.Terminating, terminating.Namespace);
        Assert.Empty(_helm.Calls());
    }

    [Fact]
    public async Task AReleaseWithoutHelmRecordsIsAbsent()
    {
        AddOurNamespace();

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(ReleaseState.Absent, seen.Release.State);
    }

    [Theory]
    [InlineData("history-pending-after-deployed.json", "rollback ana-bakery 1 --namespace store-ana-bakery")]
    [InlineData("history-never-deployed.json", "uninstall ana-bakery --namespace store-ana-bakery --ignore-not-found")]
    public async Task AStuckReleaseIsRolledBackToTheLastDeployedRevisionOrUninstalled(string history, string expected)
    {
        AddOurNamespace();
        _helm.History(Recorded(history));

        await _cluster.RecoverReleaseAsync(Store, default);

        var calls = _helm.Calls();
        Assert.Equal("history", calls[0][0]);
        Assert.Equal(expected, string.Join(' ', calls[1]));
    }

    [Fact]
    public async Task DeletingUninstallsThenDeletesOurNamespaceAndToleratesBothBeingGone()
    {
        AddOurNamespace();

        await _cluster.UninstallAsync(Store, default);
        await _cluster.DeleteNamespaceAsync(Store, default);
        await _cluster.DeleteNamespaceAsync(Store, default); // already terminating
        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(["uninstall", "ana-bakery", "--namespace", "store-ana-bakery", "--ignore-not-found"], _helm.Calls().Single());
        Assert.Equal(NamespaceState.Terminating, seen.Namespace);
        Assert.Single(_api.Requests, r => r.StartsWith("DELETE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListingManagedNamespacesReturnsOnlyOursWithTheirStoreIds()
    {
        AddOurNamespace();
        _api.AddNamespace("kube-system");
        _api.AddNamespace("store-orphan", new Dictionary<string, string> { [KubernetesStoreCluster.ManagedBy] = "storefleet" });

        var managed = new List<ManagedNamespace>();
        await foreach (var ns in _cluster.ListManagedAsync(default)) managed.Add(ns);

        Assert.Equal(["store-ana-bakery", "store-orphan"], managed.Select(m => m.Name).Order());
        Assert.Equal(Store.Id, managed.Single(m => m.Name == "store-ana-bakery").StoreId);
        Assert.Null(managed.Single(m => m.Name == "store-orphan").StoreId);
    }

    [Fact]
    public async Task MissingRbacBecomesAnErrorThatPointsAtTheChartsRbac()
    {
        _api.Forbid = true;

        var error = await Assert.ThrowsAsync<ClusterException>(() => _cluster.ObserveAsync(Store, default));

        Assert.Equal("Forbidden", error.Reason);
        Assert.Contains("RBAC", error.Message);
    }

    [Fact]
    public async Task AnUnreachableApiServerIsReportedAsSuch()
    {
        var options = new KubernetesClusterOptions { HelmPath = _helm.Path };
        var nowhere = new KubernetesStoreCluster(new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = "http://127.0.0.1:9" }),
            new HelmCli(options, NullLogger<HelmCli>.Instance), options, TimeProvider.System);

        var error = await Assert.ThrowsAsync<ClusterException>(() => nowhere.ObserveAsync(Store, default));

        Assert.Equal("ClusterUnreachable", error.Reason);
    }

    private static V1ObjectMeta Meta(string name, string component) => new()
    {
        Name = name, NamespaceProperty = Store.Namespace, CreationTimestamp = DateTime.UtcNow,
        Labels = new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "ana-bakery", ["app.kubernetes.io/component"] = component },
    };

    private static V1Pod Pod(string name, string component, bool ready, (string Reason, string Message)? waiting = null) => new()
    {
        Metadata = Meta(name, component),
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "x:1" }] },
        Status = new V1PodStatus
        {
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
            ContainerStatuses = [new V1ContainerStatus
            {
                Name = "main", Ready = ready, Image = "x:1", ImageID = "", RestartCount = 0,
                State = waiting is { } w ? new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = w.Reason, Message = w.Message } } : new V1ContainerState { Running = new V1ContainerStateRunning() },
            }],
        },
    };
}
