using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>The store's NetworkPolicies: deny by default, then exactly the flows a store needs.</summary>
public class WooCommerceStoreIsolationTests
{
    static RenderedChart Local => StoreChart.Render("values-local.yaml");

    static V1NetworkPolicy Policy(RenderedChart chart, string suffix) => chart.Single<V1NetworkPolicy>($"{StoreChart.Release}-{suffix}");

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void DefaultDenySelectsEveryPodInBothDirections(string valuesFile)
    {
        var deny = Policy(StoreChart.Render(valuesFile), "default-deny");

        Assert.Empty(deny.Spec.PodSelector.MatchLabels ?? new Dictionary<string, string>());
        Assert.Empty(deny.Spec.PodSelector.MatchExpressions ?? []);
        Assert.Equal(["Egress", "Ingress"], deny.Spec.PolicyTypes.Order());
        Assert.Null(deny.Spec.Ingress);
        Assert.Null(deny.Spec.Egress);
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void InsideTheNamespaceOnlyTheFlowsAStoreNeedsAreAllowed(string valuesFile)
    {
        var flows = ChartPolicies.AllowedFlowsBetweenPods(StoreChart.Render(valuesFile));

        Assert.Equal(
            ["backup -> database 3306/TCP", "cron -> wordpress 8080/TCP", "setup -> database 3306/TCP", "setup -> wordpress 8080/TCP", "wordpress -> database 3306/TCP"],
            flows.Order());
    }

    [Fact]
    public void WordPressAcceptsTheIngressControllerOnlyOnItsHttpPort()
    {
        var chart = Local;
        var policy = Policy(chart, "wordpress");

        Assert.True(ChartPolicies.Selects(policy.Spec.PodSelector, chart.PodOf("wordpress").Metadata!.Labels));
        Assert.False(ChartPolicies.Selects(policy.Spec.PodSelector, chart.PodOf("database").Metadata!.Labels));
        var rule = Assert.Single(policy.Spec.Ingress);
        var port = Assert.Single(rule.Ports);
        Assert.Equal("8080", port.Port.Value);
        Assert.Equal("TCP", port.Protocol);
        // The controller's namespace AND its pods (one peer: both selectors must match) — k3d's Traefik.
        var controller = rule.FromProperty.Single(p => p.NamespaceSelector is not null);
        Assert.Equal("kube-system", controller.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("traefik", controller.PodSelector.MatchLabels["app.kubernetes.io/name"]);
        Assert.Null(controller.IpBlock);
        // The only other peers are the setup Job and the WP-Cron CronJob, in this namespace.
        var others = rule.FromProperty.Where(p => p.NamespaceSelector is null).Select(p => p.PodSelector.MatchLabels["app.kubernetes.io/component"]);
        Assert.Equal(["cron", "setup"], others.Order());
    }

    [Fact]
    public void TheIngressControllerSelectorComesFromValues()
    {
        var chart = StoreChart.Render("values-local.yaml", new Dictionary<string, string>
        {
            ["networkPolicy.ingressController.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name"] = "ingress-nginx",
            ["networkPolicy.ingressController.podSelector.matchLabels.app\\.kubernetes\\.io/name"] = "ingress-nginx",
        });

        var controller = Policy(chart, "wordpress").Spec.Ingress.Single().FromProperty.Single(p => p.NamespaceSelector is not null);
        Assert.Equal("ingress-nginx", controller.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("ingress-nginx", controller.PodSelector.MatchLabels["app.kubernetes.io/name"]);
    }

    [Fact]
    public void MySqlAcceptsOnlyWordPressAndTheSetupAndBackupJobsOn3306AndReachesNothing()
    {
        var chart = Local;
        var database = chart.PodOf("database");

        var policy = Policy(chart, "database");
        var rule = Assert.Single(policy.Spec.Ingress);
        Assert.Equal("3306", Assert.Single(rule.Ports).Port.Value);
        Assert.Equal(["backup", "setup", "wordpress"], rule.FromProperty.Select(p => p.PodSelector.MatchLabels["app.kubernetes.io/component"]).Order());
        Assert.All(rule.FromProperty, p => Assert.Null(p.NamespaceSelector));
        // No policy that selects MySQL allows any egress: not DNS, not the internet.
        var egress = ChartPolicies.PoliciesFor(chart, database, "Egress").ToList();
        Assert.NotEmpty(egress);
        Assert.All(egress, p => Assert.Empty(p.Spec.Egress ?? []));
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void DnsEgressGoesToKubeDnsOnPort53OverUdpAndTcp(string valuesFile)
    {
        var chart = StoreChart.Render(valuesFile);
        var dns = Policy(chart, "dns");

        Assert.Equal(["Egress"], dns.Spec.PolicyTypes);
        Assert.True(ChartPolicies.Selects(dns.Spec.PodSelector, chart.PodOf("wordpress").Metadata!.Labels));
        Assert.True(ChartPolicies.Selects(dns.Spec.PodSelector, chart.PodOf("setup").Metadata!.Labels));
        Assert.False(ChartPolicies.Selects(dns.Spec.PodSelector, chart.PodOf("database").Metadata!.Labels));
        var rule = Assert.Single(dns.Spec.Egress);
        var peer = Assert.Single(rule.To);
        Assert.Equal("kube-system", peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("kube-dns", peer.PodSelector.MatchLabels["k8s-app"]);
        Assert.Equal(["53/TCP", "53/UDP"], rule.Ports.Select(p => $"{p.Port.Value}/{p.Protocol}").Order());
    }

    public static TheoryData<string, string, string, string[]> InternetCases => new()
    {
        // values file, woocommerceSource, wordpress internet opt-in → pods that get 443. The backup and restore
        // Jobs (two templates) always reach the object store, by default at a public address.
        { "values-local.yaml", "download", "false", ["backup", "backup", "setup"] },
        { "values-local.yaml", "download", "true", ["backup", "backup", "setup", "wordpress"] },
        { "values-local.yaml", "bundled", "false", ["backup", "backup"] },
        { "values-local.yaml", "bundled", "true", ["backup", "backup", "wordpress"] },
    };

    [Theory]
    [MemberData(nameof(InternetCases))]
    public void InternetEgressIs443OnlyAndOnlyForThePodsThatNeedIt(string valuesFile, string source, string wordpressOptIn, string[] expected)
    {
        var chart = StoreChart.Render(valuesFile, new Dictionary<string, string>
        {
            ["setup.woocommerceSource"] = source,
            ["networkPolicy.internetEgress.wordpress"] = wordpressOptIn,
        });

        var withInternet = chart.Pods.Where(pod => ChartPolicies.PoliciesFor(chart, pod, "Egress")
                .SelectMany(p => p.Spec.Egress ?? []).Any(r => (r.To ?? []).Any(peer => peer.IpBlock is not null)))
            .Select(p => p.Metadata!.Labels["app.kubernetes.io/component"]).Order().ToArray();
        Assert.Equal(expected, withInternet);
        foreach (var rule in chart.OfType<V1NetworkPolicy>().SelectMany(p => p.Spec.Egress ?? []).Where(r => (r.To ?? []).Any(peer => peer.IpBlock is not null)))
        {
            Assert.Equal("443/TCP", Assert.Single(rule.Ports).Port.Value + "/" + rule.Ports[0].Protocol);
            var block = Assert.Single(rule.To).IpBlock;
            Assert.Equal("0.0.0.0/0", block.Cidr);
            Assert.Contains("10.0.0.0/8", block.Except);
            Assert.Contains("169.254.0.0/16", block.Except);
        }
    }

    [Fact]
    public void InProductionOnlyTheBackupJobsReachPublicAddressesAndOnlyTheObjectStoresPort()
    {
        var chart = StoreChart.Render("values-prod.yaml");

        var toPublic = chart.OfType<V1NetworkPolicy>().Where(p => (p.Spec.Egress ?? []).Any(r => (r.To ?? []).Any(peer => peer.IpBlock is not null))).ToList();
        var backup = Assert.Single(toPublic);
        Assert.Equal("backup", backup.Spec.PodSelector.MatchLabels["app.kubernetes.io/component"]);
        Assert.Equal(["3306", "443"], backup.Spec.Egress.SelectMany(r => r.Ports).Select(p => p.Port.Value).Order());
        // Refused at once by WordPress instead of timing out behind the policy.
        Assert.All(chart.Pods.Where(p => p.Metadata!.Labels["app.kubernetes.io/component"] is "wordpress" or "setup"), pod =>
            Assert.Contains("WP_HTTP_BLOCK_EXTERNAL", pod.Spec.Containers.Single().Env.Single(e => e.Name == "WORDPRESS_CONFIG_EXTRA").Value));
    }

    [Fact]
    public void WithAnObjectStoreInTheClusterNoPodReachesAPublicAddress()
    {
        var chart = StoreChart.Render("values-prod.yaml", new Dictionary<string, string>
        {
            ["backup.objectStorePeers[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name"] = "minio",
            ["backup.objectStorePort"] = "9000",
        });

        Assert.DoesNotContain(chart.OfType<V1NetworkPolicy>(), p => (p.Spec.Egress ?? []).Any(r => (r.To ?? []).Any(peer => peer.IpBlock is not null)));
        var rule = Policy(chart, "backup").Spec.Egress.Single(r => r.Ports.Any(p => p.Port.Value == "9000"));
        Assert.Equal("minio", Assert.Single(rule.To).NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
    }
}
