using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>charts/woocommerce-store rendered by the real Helm binary with each values file.</summary>
public class WooCommerceStoreChartTests
{
    static readonly HashSet<string> ExternalSecrets = [StoreChart.Secret];

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void LintStrictPassesWithEachValuesFile(string valuesFile)
    {
        var result = StoreChart.Harness.Lint(StoreChart.Dir, StoreChart.ValuesFor(valuesFile));
        Assert.True(result.Succeeded, result.ToString());
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void EveryRenderedObjectIsAWellFormedKubernetesObject(string valuesFile)
    {
        // Render() parses strictly into the KubernetesClient models: unknown fields, wrong types,
        // malformed quantities and unknown kinds already fail here.
        var chart = StoreChart.Render(valuesFile);

        ChartPolicies.AssertNone(ChartPolicies.MalformedObjects(chart, ExternalSecrets), "well-formed objects");
        var kinds = chart.Objects.GroupBy(o => o.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1, kinds["Deployment"]);
        Assert.Equal(1, kinds["StatefulSet"]);
        Assert.Equal(1, kinds["Job"]);
        Assert.Equal(2, kinds["Service"]);
        Assert.Equal(1, kinds["PersistentVolumeClaim"]);
        Assert.Equal(1, kinds["Ingress"]);
        Assert.Equal(1, kinds["ServiceAccount"]);
        Assert.Equal(1, kinds["ResourceQuota"]);
        Assert.Equal(1, kinds["LimitRange"]);
        // The engine creates the namespace and the Secret; the chart needs no API access.
        foreach (var forbidden in new[] { "Namespace", "Secret", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding" })
        {
            Assert.False(kinds.ContainsKey(forbidden), $"the chart renders a {forbidden}");
        }
        Assert.All(chart.Objects, o => Assert.Null(o.Object.Metadata.NamespaceProperty));
    }

    [Theory]
    [InlineData("1.29.0")]
    [InlineData("1.34.0")]
    public void RendersValidObjectsForTheOldestAndNewestSupportedKubernetes(string kubeVersion)
    {
        var chart = StoreChart.Harness.Template(StoreChart.Dir, StoreChart.Release, StoreChart.Namespace,
            StoreChart.ValuesFor("values-local.yaml"), extraArgs: ["--kube-version", kubeVersion]);

        Assert.NotEmpty(chart.Objects);
        // Every API group/version used is GA in 1.29 (no beta APIs, which come and go between versions).
        Assert.All(chart.Objects, o => Assert.DoesNotMatch("(alpha|beta)", o.Object.ApiVersion));
    }

    [Fact]
    public void RefusesKubernetesOlderThanTheSupportedRange()
    {
        var result = StoreChart.Harness.TryTemplate(StoreChart.Dir, StoreChart.Release, StoreChart.Namespace,
            StoreChart.ValuesFor("values-local.yaml"), extraArgs: ["--kube-version", "1.28.0"]);

        Assert.False(result.Succeeded);
        Assert.Contains("kubeVersion", result.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void EveryContainerHasLimitsProbesAndARestrictedSecurityContext(string valuesFile)
    {
        var chart = StoreChart.Render(valuesFile);

        ChartPolicies.AssertNone(ChartPolicies.ContainersWithoutRequestsAndLimits(chart), "requests and limits");
        ChartPolicies.AssertNone(ChartPolicies.LongRunningContainersWithoutProbes(chart), "probes");
        ChartPolicies.AssertNone(ChartPolicies.ContainersNotRestricted(chart), "restricted security context");
        // WordPress, MySQL, the setup Job, the WP-Cron CronJob and the backup and restore Job templates.
        Assert.Equal(6, chart.Pods.Count());
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void NoImageUsesLatestOrNoTag(string valuesFile) =>
        ChartPolicies.AssertNone(ChartPolicies.UnpinnedImages(StoreChart.Render(valuesFile)), "pinned images");

    [Fact]
    public void DefaultImagesArePinnedToTheReleasesTheChartIsBuiltFor()
    {
        var chart = StoreChart.Render("values.yaml");
        var images = chart.Pods.SelectMany(p => p.AllContainers).Select(c => c.Container.Image).ToHashSet();

        Assert.Equal(["mysql:8.4.6", "wordpress:6.8.3-php8.3-apache", "wordpress:cli-2.12.0-php8.3"], images.Order());
        var setup = chart.PodOf("setup").Spec.Containers.Single();
        Assert.Equal("10.3.6", setup.Env.Single(e => e.Name == "WOOCOMMERCE_VERSION").Value);
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void NoPlaintextSecretIsRendered(string valuesFile)
    {
        var chart = StoreChart.Render(valuesFile);

        ChartPolicies.AssertNone(ChartPolicies.PlaintextSecrets(chart), "plaintext secrets");
        // Passwords come only from the engine's Secret, by the keys of the contract.
        var secretRefs = chart.Pods.SelectMany(p => p.AllContainers).SelectMany(c => c.Container.Env ?? [])
            .Where(e => e.ValueFrom?.SecretKeyRef is not null)
            .Select(e => e.ValueFrom.SecretKeyRef).ToList();
        Assert.All(secretRefs, r => Assert.Equal(StoreChart.Secret, r.Name));
        var required = secretRefs.Where(r => r.Optional != true).Select(r => r.Key).ToHashSet();
        Assert.Equal(["admin-password", "admin-user", "db-password", "db-root-password"], required.Order());
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void EveryObjectCarriesTheStorefleetLabels(string valuesFile) =>
        ChartPolicies.AssertNone(
            ChartPolicies.MissingLabels(StoreChart.Render(valuesFile), StoreChart.RequiredLabels, requiredOnPods: ["app.kubernetes.io/component"]),
            "labels");

    [Fact]
    public void WorkloadsCarryTheComponentLabelsTheEngineReadsForReadiness()
    {
        var chart = StoreChart.Render("values-local.yaml");

        Assert.IsType<V1StatefulSet>(chart.PodOf("database").Owner.Object);
        Assert.IsType<V1Deployment>(chart.PodOf("wordpress").Owner.Object);
        Assert.IsType<V1Job>(chart.PodOf("setup").Owner.Object);
        foreach (var component in new[] { "database", "wordpress", "setup" })
        {
            var owner = chart.PodOf(component).Owner.Object;
            Assert.Equal(component, owner.Metadata.Labels["app.kubernetes.io/component"]);
            Assert.Equal(StoreChart.Release, owner.Metadata.Labels["app.kubernetes.io/instance"]);
        }
    }

    [Fact]
    public void TheSetupJobIsAPlainJobRecreatedPerRevisionAndNextToWordPress()
    {
        var job = StoreChart.Render("values-local.yaml").OfType<V1Job>().Single();

        // A new name per revision: Jobs are immutable, and Helm removes the previous revision's Job.
        Assert.Equal("ana-bakery-setup-r1", job.Metadata.Name);
        // Not a hook: helm upgrade --install must return at once (the engine polls; no --wait).
        Assert.DoesNotContain(job.Metadata.Annotations ?? new Dictionary<string, string>(), a => a.Key.StartsWith("helm.sh/hook", StringComparison.Ordinal));
        // Kept after completion: the engine reads its Complete condition.
        Assert.Null(job.Spec.TtlSecondsAfterFinished);
        Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
        Assert.True(job.Spec.BackoffLimit > 0);
        Assert.True(job.Spec.ActiveDeadlineSeconds <= 900);
        // wp-content is ReadWriteOnce: the Job must land on WordPress's node.
        var affinity = Assert.Single(job.Spec.Template.Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution);
        Assert.Equal("kubernetes.io/hostname", affinity.TopologyKey);
        Assert.Equal("wordpress", affinity.LabelSelector.MatchLabels["app.kubernetes.io/component"]);
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void TheSetupJobIsScheduledOnlyWithTheWordPressPodOfItsOwnRevision(string valuesFile)
    {
        // Multi-node clusters: during an upgrade the previous WordPress pod is still terminating on its
        // node. A Job that only required "a WordPress pod" could be placed there, the new WordPress pod
        // elsewhere, and the ReadWriteOnce wp-content would then fail to attach (Multi-Attach) until the
        // Job's deadline. The Job requires the WordPress pod of its own revision instead.
        var chart = StoreChart.Render(valuesFile);
        var job = chart.OfType<V1Job>().Single();
        var wordpress = chart.OfType<V1Deployment>().Single();
        var term = Assert.Single(job.Spec.Template.Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution);
        var podLabels = wordpress.Spec.Template.Metadata.Labels;
        bool Selects(IDictionary<string, string> labels) =>
            term.LabelSelector.MatchExpressions is null
            && term.LabelSelector.MatchLabels.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

        Assert.Equal("kubernetes.io/hostname", term.TopologyKey);
        Assert.Equal("1", term.LabelSelector.MatchLabels["storefleet.dev/revision"]);
        Assert.EndsWith("-setup-r" + term.LabelSelector.MatchLabels["storefleet.dev/revision"], job.Metadata.Name);
        Assert.True(Selects(podLabels), "the Job's affinity selects this revision's WordPress pod");
        var previousRevision = new Dictionary<string, string>(podLabels) { ["storefleet.dev/revision"] = "0" };
        Assert.False(Selects(previousRevision), "the Job's affinity must not select the previous revision's (terminating) WordPress pod");
        // The revision is a pod label only: the Deployment's selector is immutable.
        Assert.DoesNotContain("storefleet.dev/revision", wordpress.Spec.Selector.MatchLabels.Keys);
        Assert.Equal("Recreate", wordpress.Spec.Strategy.Type);
        // The Job mounts the claim WordPress mounts: that is why they must share a node.
        Assert.Equal(
            wordpress.Spec.Template.Spec.Volumes.Single(v => v.Name == "wp-content").PersistentVolumeClaim.ClaimName,
            job.Spec.Template.Spec.Volumes.Single(v => v.Name == "wp-content").PersistentVolumeClaim.ClaimName);
    }

    [Fact]
    public void StatefulSetFieldsThatAreImmutableDoNotChangeWithTheChartVersion()
    {
        // volumeClaimTemplates and selectors cannot be updated: a chart-version label there would make
        // every upgrade of the chart fail.
        var chart = StoreChart.Render("values-local.yaml");
        var mysql = chart.OfType<V1StatefulSet>().Single();
        string[] versioned = ["app.kubernetes.io/version", "helm.sh/chart"];

        Assert.All(mysql.Spec.VolumeClaimTemplates, t => Assert.DoesNotContain(t.Metadata.Labels.Keys, versioned.Contains));
        Assert.DoesNotContain(mysql.Spec.Selector.MatchLabels.Keys, versioned.Contains);
        Assert.DoesNotContain(chart.OfType<V1Deployment>().Single().Spec.Selector.MatchLabels.Keys, versioned.Contains);
        Assert.All(chart.OfType<V1Service>(), s => Assert.DoesNotContain(s.Spec.Selector.Keys, versioned.Contains));
    }

    [Fact]
    public void NoPodMountsAServiceAccountTokenAndNoPodNeedsTheKubernetesApi()
    {
        var chart = StoreChart.Render("values-prod.yaml");

        ChartPolicies.AssertNone(ChartPolicies.MountedServiceAccountTokens(chart), "service account tokens");
        var account = chart.OfType<V1ServiceAccount>().Single();
        Assert.False(account.AutomountServiceAccountToken);
        Assert.All(chart.Pods, p => Assert.Equal(account.Metadata.Name, p.Spec.ServiceAccountName));
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void ResourceQuotaAndLimitRangeExistAndTheStoreFitsThem(string valuesFile)
    {
        var chart = StoreChart.Render(valuesFile);

        // Room for cert-manager's HTTP-01 solver pod (its default limits) while a certificate is issued.
        var solver = new Dictionary<string, string>
        {
            ["pods"] = "1", ["requests.cpu"] = "10m", ["requests.memory"] = "64Mi", ["limits.cpu"] = "100m", ["limits.memory"] = "64Mi",
        };
        ChartPolicies.AssertNone(ChartPolicies.QuotaShortfalls(chart, solver), "quota and limit range");
        var quota = chart.OfType<V1ResourceQuota>().Single();
        foreach (var key in new[] { "requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods", "persistentvolumeclaims", "requests.storage" })
        {
            Assert.True(quota.Spec.Hard.ContainsKey(key), $"quota has no {key}");
        }
        var limits = chart.OfType<V1LimitRange>().Single().Spec.Limits;
        var container = limits.Single(l => l.Type == "Container");
        Assert.NotNull(container.DefaultProperty);
        Assert.NotNull(container.DefaultRequest);
        Assert.True(limits.Single(l => l.Type == "PersistentVolumeClaim").Max.ContainsKey("storage"));
    }

    [Fact]
    public void TheStoreNameAndAddressReachTheSetupJobVerbatim()
    {
        var env = StoreChart.Render("values-local.yaml").PodOf("setup").Spec.Containers.Single().Env.ToDictionary(e => e.Name);

        Assert.Equal("Ana's Bäckerei & Café", env["STORE_TITLE"].Value);
        Assert.Equal("ana@example.com", env["STORE_ADMIN_EMAIL"].Value);
        Assert.Equal("http://ana-bakery.127.0.0.1.nip.io", env["STORE_URL"].Value);
        Assert.Equal("US:CA", env["STORE_COUNTRY"].Value);
        Assert.Equal("http://ana-bakery-wordpress", env["WORDPRESS_SERVICE_URL"].Value);
    }

    [Fact]
    public void TheSetupScriptsShipUnchangedInTheConfigMap()
    {
        var map = StoreChart.Render("values-local.yaml").Single<V1ConfigMap>("ana-bakery-setup");

        foreach (var file in new[] { "setup.sh", "configure-store.php", "verify-store.php", "sync-bundled-woocommerce.sh" })
        {
            Assert.Equal(File.ReadAllText(Path.Combine(StoreChart.Dir, "files", file)), map.Data[file]);
        }
        Assert.Equal(3, System.Text.Json.JsonDocument.Parse(map.Data["sample-products.json"]).RootElement.GetArrayLength());
    }

    [Fact]
    public void ApacheListensOnTheUnprivilegedPortTheServiceAndProbesUse()
    {
        var chart = StoreChart.Render("values-local.yaml");
        var wordpress = chart.PodOf("wordpress").Spec.Containers.Single();
        var apache = chart.Single<V1ConfigMap>("ana-bakery-apache");

        Assert.Equal(8080, wordpress.Ports.Single(p => p.Name == "http").ContainerPort);
        Assert.Contains("Listen 8080", apache.Data["ports.conf"]);
        Assert.Contains("<VirtualHost *:8080>", apache.Data["000-default.conf"]);
        Assert.Equal(33, chart.PodOf("wordpress").Spec.SecurityContext.RunAsUser);
        Assert.Equal(999, chart.PodOf("database").Spec.SecurityContext.RunAsUser);
    }
}
