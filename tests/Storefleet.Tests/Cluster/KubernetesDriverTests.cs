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
            ChartVersions = { ["0.2.0"] = "/charts/woocommerce-store-0.2.0.tgz" },
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
        // The login the chart's setup creates in WordPress is the one handed out: not "admin", which bots try first.
        Assert.Equal("storeadmin", first.AdminUser);
        Assert.Equal("storeadmin", Encoding.UTF8.GetString(secret.Data["admin-user"]));
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
    public async Task AChartVersionShippedNextToTheCurrentChartIsInstalledFromItsOwnPackage()
    {
        AddOurNamespace();

        await _cluster.InstallAsync(new StoreRelease(Store, "Ana", "0.2.0", "ana@example.com"), default);
        await _cluster.InstallAsync(new StoreRelease(Store, "Ana", "0.1.0", "ana@example.com"), default);

        Assert.Equal(["/charts/woocommerce-store-0.2.0.tgz", "/charts/woocommerce-store"], _helm.Calls().Select(c => c[3]));
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

    private void AddIngress(bool perStore) => _api.Ingresses.Add(new V1Ingress
    {
        Metadata = new V1ObjectMeta
        {
            Name = "ana-bakery", NamespaceProperty = Store.Namespace, Labels = Meta("ana-bakery", "wordpress").Labels,
            Annotations = perStore ? new Dictionary<string, string> { ["cert-manager.io/cluster-issuer"] = "letsencrypt-prod" } : null,
        },
        Spec = new V1IngressSpec
        {
            Rules = [new V1IngressRule { Host = "ana-bakery.shops.example.com" }],
            // Wildcard mode: TLS without a secret of its own (the ingress controller's default certificate).
            Tls = [new V1IngressTLS { Hosts = ["ana-bakery.shops.example.com"], SecretName = perStore ? "ana-bakery-tls" : null }],
        },
    });

    private void AddCertificate(string status) => _api.Certificates[(Store.Namespace, "ana-bakery-tls")] = $$$"""
        {"apiVersion":"cert-manager.io/v1","kind":"Certificate",
         "metadata":{"name":"ana-bakery-tls","namespace":"{{{Store.Namespace}}}"},
         "spec":{"secretName":"ana-bakery-tls","dnsNames":["ana-bakery.shops.example.com"],"issuerRef":{"name":"letsencrypt-prod","kind":"ClusterIssuer"}},
         "status":{{{status}}}}
        """;

    [Fact]
    public async Task AStoreServedByTheWildcardCertificateHasNoCertificateToWaitFor()
    {
        AddOurNamespace();
        _helm.Status(Recorded("status-deployed.json"));
        AddIngress(perStore: false);
        _api.ServesCertManager = false;

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Null(seen.Certificate);
        Assert.Equal("https://ana-bakery.shops.example.com/", seen.StorefrontUrl);
        Assert.DoesNotContain(_api.Requests, r => r.Contains("cert-manager.io", StringComparison.Ordinal));
    }

    public static TheoryData<string, ComponentState, string> CertificateStatuses => new()
    {
        { """{"conditions":[{"type":"Ready","status":"True","reason":"Ready","message":"Certificate is up to date and has not expired"}],"notAfter":"2027-03-01T00:00:00Z"}""",
            ComponentState.Ready, "certificate ana-bakery-tls is issued, valid until 2027-03-01T00:00:00Z" },
        { """{"conditions":[{"type":"Ready","status":"False","reason":"DoesNotExist","message":"Issuing certificate as Secret does not exist"},{"type":"Issuing","status":"True","reason":"DoesNotExist","message":"Issuing certificate as Secret does not exist"}]}""",
            ComponentState.Progressing, "certificate ana-bakery-tls is being issued: Issuing certificate as Secret does not exist" },
        { """{"conditions":[{"type":"Ready","status":"False","reason":"DoesNotExist","message":"Issuing certificate as Secret does not exist"},{"type":"Issuing","status":"False","reason":"Failed","message":"The certificate request has failed to complete and will be retried: 429 urn:ietf:params:acme:error:rateLimited: too many certificates already issued"}],"lastFailureTime":"2026-12-01T06:00:00Z","failedIssuanceAttempts":2}""",
            ComponentState.Failed, "cert-manager could not issue certificate ana-bakery-tls: The certificate request has failed to complete and will be retried: 429 urn:ietf:params:acme:error:rateLimited: too many certificates already issued (failed attempts: 2; cert-manager retries with backoff)" },
        { "{}", ComponentState.Progressing, "certificate ana-bakery-tls is being issued: no status yet" },
    };

    [Theory, MemberData(nameof(CertificateStatuses))]
    public async Task APerStoreCertificateIsReadFromCertManagersStatus(string status, ComponentState state, string message)
    {
        AddOurNamespace();
        _helm.Status(Recorded("status-deployed.json"));
        AddIngress(perStore: true);
        AddCertificate(status);

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(new ComponentStatus(state, message), seen.Certificate);
        Assert.Contains("GET /apis/cert-manager.io/v1/namespaces/store-ana-bakery/certificates/ana-bakery-tls", _api.Requests);
    }

    [Fact]
    public async Task APerStoreCertificateCertManagerHasNotCreatedYetIsWaitedFor()
    {
        AddOurNamespace();
        _helm.Status(Recorded("status-deployed.json"));
        AddIngress(perStore: true);

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(new ComponentStatus(ComponentState.Progressing, "cert-manager has not created certificate ana-bakery-tls yet"), seen.Certificate);
    }

    [Fact]
    public async Task PerStoreTlsWithoutCertManagerInTheClusterSaysSo()
    {
        AddOurNamespace();
        _helm.Status(Recorded("status-deployed.json"));
        AddIngress(perStore: true);
        _api.ServesCertManager = false;

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(ComponentState.Failed, seen.Certificate!.State);
        Assert.Contains("does not serve cert-manager.io/v1 Certificates", seen.Certificate.Message);
        Assert.Contains("install cert-manager", seen.Certificate.Message);
        Assert.Contains("ingress.tls.mode=wildcard", seen.Certificate.Message);
    }

    [Fact]
    public async Task AStoreFromBeforeTheChartReadTheLoginFromItsSecretHandsOutTheLoginWordPressHas()
    {
        // The old engine wrote admin-user "admin"; the old chart created WordPress user "storeadmin" with the same password.
        AddOurNamespace();
        _api.AddSecret(Store.Namespace, "store-credentials",
            new Dictionary<string, string> { [KubernetesStoreCluster.StoreIdLabel] = Store.Id.ToString(), [KubernetesStoreCluster.ManagedBy] = KubernetesStoreCluster.ManagedByValue },
            new Dictionary<string, string>
        {
            ["admin-user"] = "admin", ["admin-password"] = "s3cret-from-2025", ["db-password"] = "d", ["db-root-password"] = "r",
        });
        Assert.Equal("admin", (await _cluster.ObserveAsync(Store, default)).AdminUser);   // what makes the engine look again

        var credentials = await _cluster.EnsureCredentialsAsync(Store, default);

        Assert.Equal(new StoreCredentials("storeadmin", "s3cret-from-2025"), credentials);
        var secret = _api.Secret(Store.Namespace, "store-credentials")!;
        Assert.Equal("storeadmin", Encoding.UTF8.GetString(secret.Data["admin-user"]));
        Assert.Equal("s3cret-from-2025", Encoding.UTF8.GetString(secret.Data["admin-password"]));   // never regenerated
        Assert.Equal("storeadmin", (await _cluster.ObserveAsync(Store, default)).AdminUser);
        Assert.Equal(new StoreCredentials("storeadmin", "s3cret-from-2025"), await _cluster.EnsureCredentialsAsync(Store, default));
        Assert.Single(_api.Requests, r => r.StartsWith("PATCH ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFailedSetupJobIsReportedWithTheScriptsOwnReasonFromTheLastFailedPodsLog()
    {
        AddOurNamespace();
        await _cluster.EnsureCredentialsAsync(Store, default);
        _helm.Status(Recorded("status-deployed.json"));
        _api.Jobs.Add(new V1Job
        {
            Metadata = Meta("ana-bakery-setup-r1", "setup"),
            Status = new V1JobStatus
            {
                Failed = 2,
                Conditions = [new V1JobCondition { Type = "Failed", Status = "True", Reason = "BackoffLimitExceeded", Message = "Job has reached the specified backoff limit" }],
            },
        });
        _api.Pods.Add(SetupPod("ana-bakery-setup-r1-aaaaa", DateTime.UtcNow.AddMinutes(-2)));
        _api.Pods.Add(SetupPod("ana-bakery-setup-r1-bbbbb", DateTime.UtcNow.AddMinutes(-1)));
        _api.PodLogs["ana-bakery-setup-r1-aaaaa"] = "setup FAILED: older attempt — not this one\n";
        _api.PodLogs["ana-bakery-setup-r1-bbbbb"] = """
            06:49:41 setup: activating WooCommerce
            Warning: Failed to activate plugin. Current WordPress version (6.8.3) does not meet minimum requirements for WooCommerce. The plugin requires WordPress 6.9.
            Error: No plugins activated.
            setup FAILED: WooCommerce activation — Failed to activate plugin. Current WordPress version (6.8.3) does not meet minimum requirements for WooCommerce. The plugin requires WordPress 6.9.
            """;

        var seen = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(ComponentState.Failed, seen.Setup.State);
        Assert.Equal("Setup job ana-bakery-setup-r1 failed (BackoffLimitExceeded): setup FAILED: WooCommerce activation — Failed to activate plugin. " +
                     "Current WordPress version (6.8.3) does not meet minimum requirements for WooCommerce. The plugin requires WordPress 6.9.", seen.Setup.Message);
        Assert.Contains(_api.Requests, r => r.StartsWith("GET /api/v1/namespaces/store-ana-bakery/pods/ana-bakery-setup-r1-bbbbb/log", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhileTheSetupRetriesTheLastAttemptsReasonIsShownAndAMissingLogFallsBackToTheJobCondition()
    {
        AddOurNamespace();
        await _cluster.EnsureCredentialsAsync(Store, default);
        _helm.Status(Recorded("status-deployed.json"));
        _api.Jobs.Add(new V1Job { Metadata = Meta("ana-bakery-setup-r1", "setup"), Status = new V1JobStatus { Failed = 1, Active = 1 } });
        _api.Pods.Add(SetupPod("ana-bakery-setup-r1-aaaaa", DateTime.UtcNow.AddMinutes(-1)));
        _api.PodLogs["ana-bakery-setup-r1-aaaaa"] = "setup FAILED: MySQL at ana-bakery-mysql:3306 — Access denied for user 'wordpress'@'10.42.0.7' (using password: YES)\n";

        var retrying = await _cluster.ObserveAsync(Store, default);

        Assert.Equal(ComponentState.Progressing, retrying.Setup.State);
        Assert.Equal("setup job running (attempt 2); the last attempt ended with setup FAILED: MySQL at ana-bakery-mysql:3306 — " +
                     "Access denied for user 'wordpress'@'10.42.0.7' (using password: YES)", retrying.Setup.Message);

        _api.PodLogs.Clear();   // the pod is gone (or the worker may not read logs): the Job's own condition is all there is
        _api.Jobs[0].Status = new V1JobStatus
        {
            Failed = 5, Conditions = [new V1JobCondition { Type = "Failed", Status = "True", Reason = "BackoffLimitExceeded", Message = "Job has reached the specified backoff limit" }],
        };
        var failed = await _cluster.ObserveAsync(Store, default);
        Assert.Equal("Setup job ana-bakery-setup-r1 failed: BackoffLimitExceeded: Job has reached the specified backoff limit", failed.Setup.Message);
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

    private static V1Pod SetupPod(string name, DateTime created)
    {
        var pod = Pod(name, "setup", ready: false);
        pod.Metadata.CreationTimestamp = created;
        pod.Metadata.Labels["job-name"] = "ana-bakery-setup-r1";
        pod.Status.Phase = "Failed";
        return pod;
    }

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
