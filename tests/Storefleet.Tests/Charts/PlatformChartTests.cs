using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>charts/storefleet rendered by the real Helm binary with each values file.</summary>
public partial class PlatformChartTests
{
    static readonly string[] LongRunning = ["api", "worker", "dashboard"];

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void LintStrictPassesWithEachValuesFile(string valuesFile)
    {
        var result = PlatformChart.Harness.Lint(PlatformChart.Dir, PlatformChart.ValuesFor(valuesFile));
        Assert.True(result.Succeeded, result.ToString());
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void EveryRenderedObjectIsAWellFormedKubernetesObject(string valuesFile)
    {
        // Render() parses strictly into the KubernetesClient models: unknown fields, wrong types,
        // malformed quantities and kinds outside the Kubernetes API already fail here.
        var chart = PlatformChart.Render(valuesFile);

        ChartPolicies.AssertNone(ChartPolicies.MalformedObjects(chart, PlatformChart.OperatorSecrets), "well-formed objects");
        var deployments = chart.OfType<V1Deployment>().Select(d => d.Metadata.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "storefleet-api", "storefleet-worker", "storefleet-dashboard" }, deployments);
        Assert.Single(chart.OfType<V1Job>());
        Assert.Equal(3, chart.OfType<V1PodDisruptionBudget>().Count());
        Assert.Single(chart.OfType<V1Ingress>());
        // The platform creates no namespace and no namespaced Role: RBAC is the worker's ClusterRole only.
        var kinds = chart.Objects.Select(o => o.Kind).ToHashSet();
        foreach (var forbidden in new[] { "Namespace", "Role", "RoleBinding" })
        {
            Assert.DoesNotContain(forbidden, kinds);
        }
        Assert.All(chart.Objects, o => Assert.Null(o.Object.Metadata.NamespaceProperty));
    }

    [Theory]
    [InlineData("1.30.0")]
    [InlineData("1.34.0")]
    public void RendersGaApisForTheOldestAndNewestSupportedKubernetes(string kubeVersion)
    {
        var chart = PlatformChart.Harness.Template(PlatformChart.Dir, PlatformChart.Release, PlatformChart.Namespace,
            PlatformChart.ValuesFor("values-prod.yaml"), extraArgs: ["--kube-version", kubeVersion]);

        Assert.All(chart.Objects, o => Assert.DoesNotMatch("(alpha|beta)", o.Object.ApiVersion));
    }

    [Fact]
    public void RefusesKubernetesWithoutThePreStopSleepAction()
    {
        var result = PlatformChart.Harness.TryTemplate(PlatformChart.Dir, PlatformChart.Release, PlatformChart.Namespace,
            PlatformChart.ValuesFor("values-local.yaml"), extraArgs: ["--kube-version", "1.29.0"]);

        Assert.False(result.Succeeded);
        Assert.Contains("kubeVersion", result.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void EveryContainerHasLimitsProbesAndARestrictedReadOnlySecurityContext(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);

        ChartPolicies.AssertNone(ChartPolicies.ContainersWithoutRequestsAndLimits(chart), "requests and limits");
        ChartPolicies.AssertNone(ChartPolicies.LongRunningContainersWithoutProbes(chart), "probes");
        ChartPolicies.AssertNone(ChartPolicies.ContainersNotRestricted(chart), "restricted security context");
        var writableRoots = chart.Pods.SelectMany(p => p.AllContainers.Select(c => (p, c.Container)))
            .Where(x => x.Container.SecurityContext?.ReadOnlyRootFilesystem != true)
            .Select(x => $"{x.p} container {x.Container.Name}").ToList();
        ChartPolicies.AssertNone(writableRoots, "read-only root filesystem");
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void NoImageUsesLatestOrNoTag(string valuesFile) =>
        ChartPolicies.AssertNone(ChartPolicies.UnpinnedImages(PlatformChart.Render(valuesFile)), "pinned images");

    [Theory]
    [InlineData("image.tag", "latest")]
    [InlineData("dashboard.image.tag", "latest")]
    [InlineData("postgresql.bundled.image.tag", "")]
    public void TheSchemaRefusesLatestAndEmptyTags(string key, string tag)
    {
        var result = PlatformChart.TryRender("values-local.yaml", new Dictionary<string, string> { [key] = tag });

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("schema", result.StdErr);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void EveryObjectCarriesTheStorefleetLabels(string valuesFile) =>
        ChartPolicies.AssertNone(
            ChartPolicies.MissingLabels(PlatformChart.Render(valuesFile), PlatformChart.RequiredLabels, requiredOnPods: ["app.kubernetes.io/component"]),
            "labels");

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void TheApiRunsAtLeastTwoReplicasAndEveryServingComponentHasADisruptionBudget(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var pdbs = chart.OfType<V1PodDisruptionBudget>().ToList();

        Assert.True(chart.Deployment("api").Spec.Replicas >= 2, "the API needs at least 2 replicas");
        foreach (var component in LongRunning)
        {
            var pod = chart.Pod(component);
            var pdb = Assert.Single(pdbs, p => ChartPolicies.Selects(p.Spec.Selector, pod.Metadata!.Labels));
            Assert.Equal("1", pdb.Spec.MaxUnavailable.Value);
            Assert.Null(pdb.Spec.MinAvailable);
            // Zero-downtime rollouts: a new pod is Ready before an old one goes.
            var strategy = chart.Deployment(component).Spec.Strategy.RollingUpdate;
            Assert.Equal("0", strategy.MaxUnavailable.Value);
        }
        // During a drain the API keeps at least one replica serving.
        Assert.True(chart.Deployment("api").Spec.Replicas - 1 >= 1);
        // Single-replica data stores have no budget: it would block every drain.
        Assert.DoesNotContain(pdbs, p => p.Spec.Selector.MatchLabels["app.kubernetes.io/component"] is "postgresql" or "redis");
    }

    [Fact]
    public void ProductionRunsMoreReplicasThanALocalCluster()
    {
        var local = PlatformChart.Render("values-local.yaml");
        var prod = PlatformChart.Render("values-prod.yaml");

        foreach (var component in LongRunning)
        {
            Assert.True(prod.Deployment(component).Spec.Replicas > local.Deployment(component).Spec.Replicas, component);
        }
    }

    [Fact]
    public void WithAnExternalDatabaseMigrationsRunBeforeInstallAndBeforeEveryUpgrade()
    {
        var chart = PlatformChart.Render("values-prod.yaml");
        var job = chart.OfType<V1Job>().Single();

        Assert.Equal("pre-install,pre-upgrade", job.Metadata.Annotations["helm.sh/hook"]);
        Assert.Equal("before-hook-creation,hook-succeeded", job.Metadata.Annotations["helm.sh/hook-delete-policy"]);
        var pod = job.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        Assert.Equal(["migrate"], pod.Containers.Single().Args);
        Assert.Equal(chart.Pod("api").Spec.Containers.Single().Image, pod.Containers.Single().Image);
        // Before install no ServiceAccount of the chart exists: the default one, without a token.
        Assert.Null(pod.ServiceAccountName);
        Assert.False(pod.AutomountServiceAccountToken);
        // The schema is there before any pod of the new version starts: nothing else migrates.
        foreach (var component in new[] { "api", "worker" })
        {
            var p = chart.Pod(component);
            Assert.Null(p.Spec.InitContainers);
            Assert.Equal("false", p.Spec.Containers.Single().Env("Database__MigrateOnStartup")!.Value);
        }
    }

    [Theory]
    [InlineData("values.yaml")]
    [InlineData("values-local.yaml")]
    public void WithTheBundledDatabaseThePodsMigrateOnInstallAndTheHookBeforeUpgrades(string valuesFile)
    {
        // The bundled PostgreSQL belongs to the release: it does not exist before install, so a
        // pre-install hook would wait for it forever.
        var chart = PlatformChart.Render(valuesFile);

        Assert.Equal("pre-upgrade", chart.OfType<V1Job>().Single().Metadata.Annotations["helm.sh/hook"]);
        var job = chart.OfType<V1Job>().Single().Spec.Template.Spec.Containers.Single();
        foreach (var component in new[] { "api", "worker" })
        {
            var pod = chart.Pod(component);
            var init = Assert.Single(pod.Spec.InitContainers);
            Assert.Equal("migrate", init.Name);
            Assert.Equal(job.Args, init.Args);
            Assert.Equal(job.Image, init.Image);
            Assert.Equal("false", pod.Spec.Containers.Single().Env("Database__MigrateOnStartup")!.Value);
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void ApiAndWorkersRunTheSameImageWithTheirRolesAndShareTheirKeys(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var api = chart.Pod("api").Spec.Containers.Single();
        var worker = chart.Pod("worker").Spec.Containers.Single();

        Assert.Equal(api.Image, worker.Image);
        Assert.Equal("api", api.Env("Roles")!.Value);
        Assert.Equal("worker", worker.Env("Roles")!.Value);
        foreach (var c in new[] { api, worker })
        {
            // appsettings.json's Urls (127.0.0.1) beats ASPNETCORE_URLS; only Urls overrides it.
            Assert.Equal("http://0.0.0.0:8080", c.Env("Urls")!.Value);
            Assert.Null(c.Env("ASPNETCORE_URLS"));
            Assert.Equal("Production", c.Env("ASPNETCORE_ENVIRONMENT")!.Value);
            Assert.Equal("kubernetes", c.Env("Cluster__Mode")!.Value);
            Assert.Equal([("http", 8080), ("metrics", 9090)], c.Ports.Select(p => (p.Name, p.ContainerPort)));
            Assert.Equal("9090", c.Env("Observability__MetricsPort")!.Value);
            Assert.Equal(["/healthz", "/readyz", "/healthz"], new[] { c.StartupProbe, c.ReadinessProbe, c.LivenessProbe }.Select(p => p.HttpGet.Path));
        }
        // Tokens minted by one API replica and credentials encrypted by a worker must be readable by all.
        foreach (var key in new[] { "ConnectionStrings__Storefleet", "Auth__SigningKey", "Secrets__EncryptionKey" })
        {
            var a = api.Env(key)!.ValueFrom.SecretKeyRef;
            var w = worker.Env(key)!.ValueFrom.SecretKeyRef;
            Assert.Equal((a.Name, a.Key), (w.Name, w.Key));
        }
        // Per-IP limits must see the client behind the ingress controller, not the controller.
        Assert.Equal("true", api.Env("ASPNETCORE_FORWARDEDHEADERS_ENABLED")!.Value);
        // Only the API seeds the administrator; only workers provision.
        Assert.NotNull(api.Env("Admin__Password")!.ValueFrom.SecretKeyRef);
        Assert.Null(worker.Env("Admin__Password"));
        Assert.Null(api.Env("Cluster__Kubernetes__ChartPath"));
        Assert.NotNull(worker.Env("Provisioning__Worker__Concurrency"));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void EverySettingTheChartPassesIsOneTheBinaryReads(string valuesFile)
    {
        // Configuration binds by name: a misspelt key is silently ignored. Check the nested keys
        // against the option classes the binary binds them to.
        var chart = PlatformChart.Render(valuesFile);
        var bound = new Dictionary<string, Type>
        {
            ["Cluster__Kubernetes__"] = typeof(Storefleet.Cluster.Kubernetes.KubernetesClusterOptions),
            ["Provisioning__Worker__"] = typeof(Storefleet.Provisioning.WorkerOptions),
            ["Auth__"] = typeof(Storefleet.Auth.AuthOptions),
            ["Admin__"] = typeof(Storefleet.Auth.AdminOptions),
            ["Stores__"] = typeof(Storefleet.Stores.StoreOptions),
            // The nested section first: the first matching prefix wins.
            ["Backups__ObjectStore__"] = typeof(Storefleet.Backups.ObjectStoreOptions),
            ["Backups__"] = typeof(Storefleet.Backups.BackupOptions),
        };
        string[] plain = ["ASPNETCORE_ENVIRONMENT", "Roles", "Urls", "Database__MigrateOnStartup", "Cluster__Mode", "Storage__DataDirectory",
            "ConnectionStrings__Storefleet", "ConnectionStrings__Redis", "Secrets__EncryptionKey", "Cors__DashboardOrigins__0",
            "HOME", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "ASPNETCORE_FORWARDEDHEADERS_ENABLED",
            "Observability__MetricsPort", "Api__HttpsRedirect", "Api__Hsts"];
        var problems = new List<string>();
        foreach (var pod in new[] { chart.Pod("api"), chart.Pod("worker") })
        {
            foreach (var (container, _) in pod.AllContainers)
            {
                foreach (var env in container.Env)
                {
                    var prefix = bound.Keys.FirstOrDefault(p => env.Name.StartsWith(p, StringComparison.Ordinal));
                    if (prefix is not null)
                    {
                        var property = env.Name[prefix.Length..].Split("__")[0];
                        if (bound[prefix].GetProperty(property) is null) problems.Add($"{pod} {container.Name}: {env.Name} binds to nothing on {bound[prefix].Name}");
                    }
                    else if (!plain.Contains(env.Name))
                    {
                        problems.Add($"{pod} {container.Name}: {env.Name} is not a setting the binary reads");
                    }
                }
            }
        }
        ChartPolicies.AssertNone(problems, "known settings");
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void TheWorkerFindsHelmAndTheStoreChartWhereTheImagePutsThem(string valuesFile)
    {
        var worker = PlatformChart.Render(valuesFile).Pod("worker").Spec.Containers.Single();
        var dockerfile = File.ReadAllText(Path.Combine(PlatformChart.Repo, "images", "platform", "Dockerfile"));

        var chartPath = worker.Env("Cluster__Kubernetes__ChartPath")!.Value;
        Assert.Contains($"COPY charts/woocommerce-store {chartPath}", dockerfile);
        Assert.Contains($"COPY --from=helm /helm {worker.Env("Cluster__Kubernetes__HelmPath")!.Value}", dockerfile);
        // The store chart's values file the worker names ships with the store chart.
        var valuesFile0 = worker.Env("Cluster__Kubernetes__ValuesFiles__0")!.Value;
        Assert.StartsWith(chartPath + "/", valuesFile0);
        Assert.True(File.Exists(Path.Combine(PlatformChart.Repo, "charts", "woocommerce-store", valuesFile0[(chartPath.Length + 1)..])), valuesFile0);
        // helm's home and the per-store values files live on the writable /tmp volume.
        Assert.All(new[] { "HOME", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME" }, key => Assert.StartsWith("/tmp", worker.Env(key)!.Value));
        Assert.Contains(worker.VolumeMounts, m => m.MountPath == "/tmp");
    }

    [Fact]
    public void OperatorOverridesForTheStoreChartReachTheWorkersAsASecondValuesFile()
    {
        var chart = PlatformChart.Render("values-prod.yaml", new Dictionary<string, string> { ["stores.chartOverrides.persistence.storageClass"] = "local-path" });
        var worker = chart.Pod("worker");
        var container = worker.Spec.Containers.Single();

        Assert.Equal("/etc/storefleet/store-values/overrides.yaml", container.Env("Cluster__Kubernetes__ValuesFiles__1")!.Value);
        var map = chart.Single<V1ConfigMap>("storefleet-store-values");
        Assert.Contains("storageClass: local-path", map.Data["overrides.yaml"]);
        var mount = container.VolumeMounts.Single(m => m.MountPath == "/etc/storefleet/store-values");
        Assert.Equal(map.Metadata.Name, worker.Spec.Volumes.Single(v => v.Name == mount.Name).ConfigMap.Name);
        // Changing them rolls the workers, which read the files at start-up.
        Assert.NotEqual(PlatformChart.Render("values-prod.yaml").Pod("worker").Metadata!.Annotations["checksum/store-values"],
            worker.Metadata!.Annotations["checksum/store-values"]);
    }

    [Fact]
    public void ProductionServesBothHostsOverTlsFromCertManagerAndAllowsOnlyTheDashboardOrigin()
    {
        var chart = PlatformChart.Render("values-prod.yaml");
        var ingress = chart.OfType<V1Ingress>().Single();

        Assert.Equal("letsencrypt-prod", ingress.Metadata.Annotations["cert-manager.io/cluster-issuer"]);
        Assert.Equal(["api.storefleet.example.com", "app.storefleet.example.com"], ingress.Spec.Tls.Single().Hosts.Order());
        Assert.Equal(
            ["api.storefleet.example.com -> storefleet-api", "app.storefleet.example.com -> storefleet-dashboard"],
            ingress.Spec.Rules.Select(r => $"{r.Host} -> {r.Http.Paths.Single().Backend.Service.Name}").Order());
        var api = chart.Pod("api").Spec.Containers.Single();
        Assert.Equal("https://app.storefleet.example.com", api.Env("Cors__DashboardOrigins__0")!.Value);
        Assert.Equal("https", chart.Pod("worker").Spec.Containers.Single().Env("Cluster__Kubernetes__UrlScheme")!.Value);
    }

    [Fact]
    public void LocallyEverythingIsPlainHttpOnNipIoThroughTraefik()
    {
        var chart = PlatformChart.Render("values-local.yaml");
        var ingress = chart.OfType<V1Ingress>().Single();

        Assert.Null(ingress.Spec.Tls);
        Assert.Equal("traefik", ingress.Spec.IngressClassName);
        Assert.All(ingress.Spec.Rules, r => Assert.EndsWith(".127.0.0.1.nip.io", r.Host));
        var worker = chart.Pod("worker").Spec.Containers.Single();
        Assert.Equal("127.0.0.1.nip.io", worker.Env("Cluster__Kubernetes__BaseDomain")!.Value);
        Assert.EndsWith("/values-local.yaml", worker.Env("Cluster__Kubernetes__ValuesFiles__0")!.Value);
        // Images come from `k3d image import`, built by scripts/k3d-up.sh into the same repositories; the
        // script sets the tag from the commit (K3dScriptTests), so new code rolls the pods.
        var script = File.ReadAllText(Path.Combine(PlatformChart.Repo, "scripts", "k3d-up.sh"));
        foreach (var image in chart.Pods.Where(p => p.Label("app.kubernetes.io/component") is "api" or "dashboard").Select(p => p.Spec.Containers.Single().Image))
        {
            Assert.Contains($"{image[..image.LastIndexOf(':')]}:$tag", script);
        }
        Assert.Contains("--set \"image.tag=$tag\" --set \"dashboard.image.tag=$tag\"", script);
    }

    [Fact]
    public void TheDashboardReachesTheApiThroughItsServiceInsideTheNamespace()
    {
        var chart = PlatformChart.Render("values-prod.yaml");
        var dashboard = chart.Pod("dashboard").Spec.Containers.Single();
        var service = chart.Single<V1Service>("storefleet-api");

        Assert.Equal($"http://{service.Metadata.Name}", dashboard.Env("STOREFLEET_API_URL")!.Value);
        Assert.Equal(80, service.Spec.Ports.Single(p => p.Name == "http").Port);
        Assert.Equal(3000, dashboard.Ports.Single().ContainerPort);
    }

    [Fact]
    public void WithoutTheDashboardTheApiIsServedAlone()
    {
        var chart = PlatformChart.Render("values-local.yaml", new Dictionary<string, string> { ["dashboard.enabled"] = "false" });

        Assert.DoesNotContain(chart.Pods, p => p.Label("app.kubernetes.io/component") == "dashboard");
        Assert.Equal(["api.storefleet.127.0.0.1.nip.io"], chart.OfType<V1Ingress>().Single().Spec.Rules.Select(r => r.Host));
        ChartPolicies.AssertNone(ChartPolicies.MalformedObjects(chart), "well-formed objects");
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void EachWorkersMemoryLimitCoversAHelmProcessPerConcurrentStore(string valuesFile)
    {
        // Every step may run helm (~60-100 MiB while it runs): 256 MiB for the process itself plus
        // 100 MiB per concurrent store, as values.yaml and docs/operations.md say.
        var worker = PlatformChart.Render(valuesFile).Pod("worker").Spec.Containers.Single();
        var concurrency = int.Parse(worker.Env("Provisioning__Worker__Concurrency")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        var limitMi = worker.Resources.Limits["memory"].ToDecimal() / (1024 * 1024);

        Assert.True(limitMi >= 256 + concurrency * 100, $"{limitMi} MiB for {concurrency} concurrent stores");
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void MetricsAreServedOnTheirOwnPortWhichTheIngressNeverRoutes(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var service = chart.Single<V1Service>("storefleet-api");
        var metrics = service.Spec.Ports.Single(p => p.Name == "metrics");

        Assert.Equal((9090, "metrics"), (metrics.Port, metrics.TargetPort.Value));
        foreach (var ingress in chart.OfType<V1Ingress>())
            foreach (var path in ingress.Spec.Rules.SelectMany(r => r.Http.Paths))
                Assert.Equal("http", path.Backend.Service.Port.Name);
        foreach (var component in new[] { "api", "worker" })
            Assert.Equal("9090", chart.Pod(component).Spec.Containers.Single().Env("Observability__MetricsPort")!.Value);
    }

    [Theory]
    [InlineData("values.yaml", "false")]
    [InlineData("values-local.yaml", "false")]
    [InlineData("values-prod.yaml", "true")]
    public void ProductionRedirectsPlainHttpToHttpsAndSendsHsts(string valuesFile, string expected)
    {
        var api = PlatformChart.Render(valuesFile).Pod("api").Spec.Containers.Single();

        Assert.Equal((expected, expected), (api.Env("Api__HttpsRedirect")!.Value, api.Env("Api__Hsts")!.Value));
    }
}
