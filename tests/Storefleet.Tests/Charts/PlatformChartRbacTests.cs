using System.Text.RegularExpressions;
using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>
/// Least privilege: the worker holds exactly the documented rules (here, in docs/security.md and in the
/// chart) — cluster-wide only namespaces and one `bind`, everything namespaced through the store role that it
/// binds per store namespace — the store role covers every kind the store chart renders, and no other account
/// of the platform has any permission or token.
/// </summary>
public partial class PlatformChartRbacTests
{
    static readonly string[] Manage = ["create", "get", "list", "update", "patch", "delete"];

    public const string WorkerRole = "storefleet-storefleet-worker";
    public const string StoreRole = "storefleet-storefleet-store";

    /// <summary>
    /// Bound cluster-wide. Change this table, docs/security.md and templates/rbac-worker.yaml together; each
    /// rule's reason is in the template and the doc. A resource name, when a rule has one, is written resource/name.
    /// </summary>
    public static readonly (string ApiGroup, string[] Resources, string[] Verbs)[] WorkerClusterRules =
    [
        ("", ["namespaces"], ["create", "get", "list", "delete"]),
        ("rbac.authorization.k8s.io", ["rolebindings"], ["create"]),
        ("rbac.authorization.k8s.io", [$"clusterroles/{StoreRole}"], ["bind"]),
    ];

    /// <summary>The store role: bound by the worker in each store namespace, by nothing else.</summary>
    public static readonly (string ApiGroup, string[] Resources, string[] Verbs)[] StoreRules =
    [
        ("", ["secrets"], Manage),
        ("", ["configmaps", "services", "persistentvolumeclaims", "serviceaccounts", "resourcequotas", "limitranges"], Manage),
        ("apps", ["deployments", "statefulsets"], Manage),
        ("batch", ["jobs", "cronjobs"], Manage),
        ("networking.k8s.io", ["ingresses", "networkpolicies"], Manage),
        ("", ["pods", "events"], ["list"]),
        // A failed setup pod's last log line is the reason the tenant is shown.
        ("", ["pods/log"], ["get"]),
        ("cert-manager.io", ["certificates"], ["get"]),
    ];

    /// <summary>"group/resource[/name]: verb,verb" per resource, so that how rules are grouped does not matter.</summary>
    static SortedSet<string> Flatten(IEnumerable<(IEnumerable<string> Groups, IEnumerable<string> Resources, IEnumerable<string> Verbs)> rules)
    {
        var perResource = new Dictionary<string, SortedSet<string>>();
        foreach (var (groups, resources, verbs) in rules)
        {
            foreach (var group in groups)
            {
                foreach (var resource in resources)
                {
                    var key = $"{(group.Length == 0 ? "core" : group)}/{resource}";
                    if (!perResource.TryGetValue(key, out var set)) perResource[key] = set = [];
                    set.UnionWith(verbs);
                }
            }
        }
        return [.. perResource.Select(kv => $"{kv.Key}: {string.Join(",", kv.Value)}")];
    }

    static SortedSet<string> Flatten((string ApiGroup, string[] Resources, string[] Verbs)[] table) =>
        Flatten(table.Select(r => ((IEnumerable<string>)[r.ApiGroup], (IEnumerable<string>)r.Resources, (IEnumerable<string>)r.Verbs)));

    /// <summary>A rendered role's rules, with resourceNames folded into the resource as resource/name.</summary>
    static SortedSet<string> Flatten(V1ClusterRole role) =>
        Flatten(role.Rules.Select(r => ((IEnumerable<string>)r.ApiGroups,
            (IEnumerable<string>)(r.ResourceNames is { Count: > 0 } names ? r.Resources.SelectMany(res => names.Select(n => $"{res}/{n}")) : r.Resources),
            (IEnumerable<string>)r.Verbs)));

    static V1ClusterRole Role(RenderedChart chart, string name) => chart.Single<V1ClusterRole>(name);

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void TheWorkersClusterWideRightsAreExactlyNamespacesAndBindingTheStoreRole(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var role = Role(chart, WorkerRole);

        Assert.Equal(Flatten(WorkerClusterRules), Flatten(role));
        var bind = role.Rules.Single(r => r.Verbs.Contains("bind"));
        Assert.Equal(("clusterroles", StoreRole), (string.Join(",", bind.Resources), string.Join(",", bind.ResourceNames)));
        Assert.All(role.Rules, r => Assert.Null(r.NonResourceURLs));
        Assert.Null(role.AggregationRule);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void TheStoreRoleIsExactlyTheDocumentedSetAndNothingInTheChartBindsIt(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var role = Role(chart, StoreRole);

        Assert.Equal(Flatten(StoreRules), Flatten(role));
        Assert.All(role.Rules, r => Assert.Null(r.ResourceNames));
        Assert.Null(role.AggregationRule);
        // Only the worker binds it, per store namespace, at run time: never cluster-wide.
        Assert.DoesNotContain(chart.OfType<V1ClusterRoleBinding>(), b => b.RoleRef.Name == StoreRole);
        Assert.Empty(chart.OfType<V1RoleBinding>());
        Assert.Equal([WorkerRole, StoreRole], chart.OfType<V1ClusterRole>().Select(r => r.Metadata.Name).Order().Reverse());
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void NothingBoundClusterWideGrantsSecretsOrAnyNamespacedKindButRoleBindingCreate(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var clusterWide = chart.OfType<V1ClusterRoleBinding>().Select(b => Role(chart, b.RoleRef.Name)).SelectMany(r => r.Rules).ToList();

        Assert.DoesNotContain(clusterWide, r => r.Resources.Any(res => res.StartsWith("secrets", StringComparison.Ordinal)));
        Assert.Equal(["clusterroles", "namespaces", "rolebindings"], clusterWide.SelectMany(r => r.Resources).Distinct().Order());
        Assert.Equal(["create"], clusterWide.Where(r => r.Resources.Contains("rolebindings")).SelectMany(r => r.Verbs));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void TheWorkerIsToldWhichRoleToBindAndAsWhom(string valuesFile)
    {
        var worker = PlatformChart.Render(valuesFile).Pod("worker").Spec.Containers.Single();

        Assert.Equal(StoreRole, worker.Env("Cluster__Kubernetes__StoreRole")?.Value);
        Assert.Equal($"{PlatformChart.Namespace}/storefleet-worker", worker.Env("Cluster__Kubernetes__WorkerServiceAccount")?.Value);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void NoRuleGrantsAWildcardOrAPrivilegeEscalatingVerb(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var problems = new List<string>();
        foreach (var rule in chart.OfType<V1ClusterRole>().SelectMany(r => r.Rules))
        {
            var where = $"rule {string.Join(",", rule.ApiGroups)}/{string.Join(",", rule.Resources ?? [])}";
            if (rule.Verbs.Contains("*")) problems.Add($"{where}: verb *");
            if ((rule.Resources ?? []).Any(r => r.Contains('*'))) problems.Add($"{where}: resource *");
            if (rule.ApiGroups.Contains("*")) problems.Add($"{where}: apiGroup *");
            foreach (var verb in rule.Verbs.Intersect(["escalate", "impersonate", "watch", "deletecollection"]))
            {
                problems.Add($"{where}: {verb}");
            }
            // `bind` only of the store role, by name.
            if (rule.Verbs.Contains("bind") && !((rule.Resources ?? []).SequenceEqual(["clusterroles"]) && rule.ResourceNames?.SequenceEqual([StoreRole]) == true && rule.Verbs.Count == 1))
            {
                problems.Add($"{where}: bind of anything but the store role");
            }
            // pods/log (read) is the one subresource: the engine reports a failed setup in the script's own words.
            foreach (var resource in (rule.Resources ?? []).Where(r => r.Contains('/') && !(r == "pods/log" && rule.Verbs.SequenceEqual(["get"]))))
            {
                problems.Add($"{where}: subresource {resource}");
            }
            if ((rule.Resources ?? []).Intersect(["roles", "clusterrolebindings", "nodes", "serviceaccounts/token"]).Any())
            {
                problems.Add($"{where}: Roles, ClusterRoleBindings, nodes or tokens");
            }
            if (rule.Resources?.Contains("rolebindings") == true && !rule.Verbs.SequenceEqual(["create"]))
            {
                problems.Add($"{where}: rolebindings beyond create");
            }
        }
        ChartPolicies.AssertNone(problems, "no wildcards");
    }

    [Fact]
    public void TheWildcardCheckCatchesAWildcard()
    {
        // The check above must be able to fail: a rendered role with "*" is caught.
        var yaml = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: too-much
            rules:
              - apiGroups: ["*"]
                resources: ["*"]
                verbs: ["*"]
            """;
        var role = RenderedChart.Parse(yaml).OfType<V1ClusterRole>().Single();
        Assert.Contains("*", role.Rules.Single().Verbs);
        Assert.NotEqual(Flatten(StoreRules), Flatten(role));
    }

    [GeneratedRegex(@"<!-- (?<which>worker-cluster-rbac|worker-store-rbac):start -->(?<table>.*?)<!-- \k<which>:end -->", RegexOptions.Singleline)]
    private static partial Regex RbacTable();

    [Fact]
    public void DocsSecurityListsExactlyTheSameRules()
    {
        var doc = File.ReadAllText(Path.Combine(PlatformChart.Repo, "docs", "security.md"));
        var tables = RbacTable().Matches(doc).ToDictionary(m => m.Groups["which"].Value, m => m.Groups["table"].Value);
        Assert.True(tables.Count == 2, "docs/security.md has no <!-- worker-cluster-rbac:start --> / <!-- worker-store-rbac:start --> tables");

        static IEnumerable<string> Cells(string cell) =>
            cell.Replace("`", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        static SortedSet<string> Rows(string table) => Flatten(table.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith('|') && !l.StartsWith("|--", StringComparison.Ordinal) && !l.StartsWith("| API group", StringComparison.Ordinal))
            .Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray())
            .Select(c => (Groups: Cells(c[0]).Select(g => g == "core" ? "" : g), Resources: Cells(c[1]), Verbs: Cells(c[2]))));
        Assert.Equal(Flatten(WorkerClusterRules), Rows(tables["worker-cluster-rbac"]));
        Assert.Equal(Flatten(StoreRules), Rows(tables["worker-store-rbac"]));
    }

    /// <summary>Kinds the store chart may render, and the resource each is managed as (CronJob: the WP-Cron job).</summary>
    static readonly Dictionary<string, string> ResourceOfKind = new()
    {
        ["v1/ConfigMap"] = "core/configmaps",
        ["v1/Service"] = "core/services",
        ["v1/PersistentVolumeClaim"] = "core/persistentvolumeclaims",
        ["v1/ServiceAccount"] = "core/serviceaccounts",
        ["v1/ResourceQuota"] = "core/resourcequotas",
        ["v1/LimitRange"] = "core/limitranges",
        ["v1/Secret"] = "core/secrets",
        ["apps/v1/Deployment"] = "apps/deployments",
        ["apps/v1/StatefulSet"] = "apps/statefulsets",
        ["batch/v1/Job"] = "batch/jobs",
        ["batch/v1/CronJob"] = "batch/cronjobs",
        ["networking.k8s.io/v1/Ingress"] = "networking.k8s.io/ingresses",
        ["networking.k8s.io/v1/NetworkPolicy"] = "networking.k8s.io/networkpolicies",
    };

    [Theory]
    [InlineData("values.yaml")]
    [InlineData("values-local.yaml")]
    [InlineData("values-prod.yaml")]
    public void TheStoreRoleLetsTheWorkerInstallUpgradeAndUninstallEveryKindTheStoreChartRenders(string storeValuesFile)
    {
        var store = StoreChart.Render(storeValuesFile);
        var granted = Role(PlatformChart.Render("values-prod.yaml"), StoreRole).Rules
            .SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.Select(res => (Key: $"{(g.Length == 0 ? "core" : g)}/{res}", r.Verbs))))
            .GroupBy(x => x.Key).ToDictionary(g => g.Key, g => g.SelectMany(x => x.Verbs).ToHashSet());

        // helm keeps its release records as Secrets in the store namespace, whatever the chart renders.
        var kinds = store.Objects.Select(o => $"{o.Object.ApiVersion}/{o.Kind}").Append("v1/Secret").Distinct().ToList();
        foreach (var kind in kinds)
        {
            Assert.True(ResourceOfKind.TryGetValue(kind, out var resource),
                $"the store chart renders {kind}: add it to the store role (rbac-worker.yaml), this test, and docs/security.md (or explain why not)");
        }
        // Every kind the chart may render, rendered today or not (a CronJob is on its way), can be managed.
        foreach (var resource in ResourceOfKind.Values)
        {
            Assert.True(granted.TryGetValue(resource, out var verbs), $"the worker may not manage {resource} in store namespaces");
            Assert.Superset(Manage.ToHashSet(), verbs);
        }
        // What the engine reads besides: pods and Warning events, for readiness and messages.
        Assert.Contains("list", granted["core/pods"]);
        Assert.Contains("list", granted["core/events"]);
    }

    [Fact]
    public void TheStoreChartCreatesNoRbacSoTheStoreRoleNeedsNoEscalateOrBind()
    {
        foreach (var valuesFile in new[] { "values-local.yaml", "values-prod.yaml" })
        {
            var kinds = StoreChart.Render(valuesFile).Objects.Select(o => o.Kind).ToHashSet();
            Assert.Empty(kinds.Intersect(["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Namespace"]));
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void OnlyTheWorkerAccountIsBoundAndOnlyWorkerPodsHoldAToken(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var binding = chart.OfType<V1ClusterRoleBinding>().Single();
        var role = Role(chart, WorkerRole);

        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
        Assert.Equal("ClusterRole", binding.RoleRef.Kind);
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "storefleet-worker", PlatformChart.Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        // Cluster-scoped names carry the namespace: two installs cannot overwrite each other's role.
        Assert.Equal("storefleet-storefleet-worker", role.Metadata.Name);

        var worker = chart.Pod("worker");
        Assert.Equal("storefleet-worker", worker.Spec.ServiceAccountName);
        var others = RenderedChart.Parse(string.Join("\n---\n", chart.Objects
            .Where(o => !(o.Object is V1Deployment d && d.Metadata.Name == "storefleet-worker") && !(o.Object is V1ServiceAccount sa && sa.Metadata.Name == "storefleet-worker"))
            .Select(o => o.Yaml)));
        ChartPolicies.AssertNone(ChartPolicies.MountedServiceAccountTokens(others), "service account tokens");
        foreach (var account in chart.OfType<V1ServiceAccount>().Where(a => a.Metadata.Name != "storefleet-worker"))
        {
            Assert.False(account.AutomountServiceAccountToken, $"{account.Metadata.Name} mounts a token");
        }
        Assert.Equal("storefleet-api", chart.Pod("api").Spec.ServiceAccountName);
        Assert.Equal("storefleet-dashboard", chart.Pod("dashboard").Spec.ServiceAccountName);
    }
}
