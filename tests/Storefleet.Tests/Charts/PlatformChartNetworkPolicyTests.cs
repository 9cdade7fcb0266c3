using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>The platform namespace's NetworkPolicies: deny by default, then exactly the flows the platform needs.</summary>
public class PlatformChartNetworkPolicyTests
{
    static V1NetworkPolicy Policy(RenderedChart chart, string suffix) => chart.Single<V1NetworkPolicy>($"storefleet-{suffix}");

    static IEnumerable<V1NetworkPolicyEgressRule> EgressOf(RenderedChart chart, string component) =>
        ChartPolicies.PoliciesFor(chart, chart.Pod(component), "Egress").SelectMany(p => p.Spec.Egress ?? []);

    static IEnumerable<V1NetworkPolicyIngressRule> IngressOf(RenderedChart chart, string component) =>
        ChartPolicies.PoliciesFor(chart, chart.Pod(component), "Ingress").SelectMany(p => p.Spec.Ingress ?? []);

    static string Ports(IEnumerable<V1NetworkPolicyPort> ports) => string.Join(",", ports.Select(p => $"{p.Port.Value}/{p.Protocol}").Order());

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void DefaultDenySelectsEveryPodInBothDirections(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var deny = Policy(chart, "default-deny");

        Assert.Empty(deny.Spec.PodSelector.MatchLabels ?? new Dictionary<string, string>());
        Assert.Empty(deny.Spec.PodSelector.MatchExpressions ?? []);
        Assert.Equal(["Egress", "Ingress"], deny.Spec.PolicyTypes.Order());
        Assert.Null(deny.Spec.Ingress);
        Assert.Null(deny.Spec.Egress);
        // And every pod has its own policy for both directions (no pod relies on "not selected = open").
        foreach (var pod in chart.Pods)
        {
            var own = chart.OfType<V1NetworkPolicy>().Where(p => p != deny && p.Spec.PodSelector.MatchLabels is not null
                && ChartPolicies.Selects(p.Spec.PodSelector, pod.Metadata!.Labels)).ToList();
            Assert.True(own.Any(p => p.Spec.PolicyTypes.Contains("Ingress")) && own.Any(p => p.Spec.PolicyTypes.Contains("Egress")), $"{pod} has no policy of its own");
        }
    }

    [Theory]
    [InlineData("values.yaml")]
    [InlineData("values-local.yaml")]
    public void WithBundledDataStoresOnlyTheFlowsThePlatformNeedsAreAllowedBetweenItsPods(string valuesFile)
    {
        var flows = ChartPolicies.AllowedFlowsBetweenPods(PlatformChart.Render(valuesFile));

        Assert.Equal(
            [
                "api -> postgresql 5432/TCP", "api -> redis 6379/TCP",
                "dashboard -> api 8080/TCP",
                "migrate -> postgresql 5432/TCP",
                "worker -> postgresql 5432/TCP", "worker -> redis 6379/TCP",
            ],
            flows.Order());
    }

    [Fact]
    public void InProductionTheDashboardToApiIsTheOnlyFlowBetweenPlatformPods()
    {
        var flows = ChartPolicies.AllowedFlowsBetweenPods(PlatformChart.Render("values-prod.yaml"));

        Assert.Equal(["dashboard -> api 8080/TCP"], flows);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void TheIngressControllerReachesTheApiAndTheDashboardOnlyOnTheirPorts(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var reached = new List<string>();
        foreach (var pod in chart.Pods)
        {
            foreach (var rule in IngressOf(chart, pod.Label("app.kubernetes.io/component")!))
            {
                var controller = (rule.FromProperty ?? []).Where(p => p.NamespaceSelector is not null).ToList();
                if (controller.Count == 0) continue;
                var peer = Assert.Single(controller);
                Assert.Equal("kube-system", peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
                Assert.Equal("traefik", peer.PodSelector.MatchLabels["app.kubernetes.io/name"]);
                reached.Add($"{pod.Label("app.kubernetes.io/component")} {Ports(rule.Ports)}");
            }
        }
        Assert.Equal(["api 8080/TCP", "dashboard 3000/TCP"], reached.Order());
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void OnlyTheWorkerReachesTheKubernetesApiServer(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);

        var worker = EgressOf(chart, "worker").Where(r => Ports(r.Ports) == "443/TCP,6443/TCP").ToList();
        var rule = Assert.Single(worker);
        Assert.All(rule.To, peer => Assert.NotNull(peer.IpBlock));
        foreach (var component in new[] { "api", "dashboard", "migrate" })
        {
            Assert.DoesNotContain(EgressOf(chart, component), r => r.Ports.Any(p => p.Port.Value is "443" or "6443"));
        }
    }

    [Fact]
    public void ExternalPostgreSqlAndRedisAreReachableOnlyAtTheirAddressesAndPorts()
    {
        var chart = PlatformChart.Render("values-prod.yaml");
        string[] privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

        foreach (var (component, expected) in new[] { ("api", "5432/TCP|6379/TCP"), ("worker", "5432/TCP|6379/TCP"), ("migrate", "5432/TCP") })
        {
            var toAddresses = EgressOf(chart, component)
                .Where(r => (r.To ?? []).All(p => p.IpBlock is not null) && !Ports(r.Ports).Contains("6443"))
                .ToList();
            Assert.Equal(expected, string.Join("|", toAddresses.Select(r => Ports(r.Ports)).Order()));
            Assert.All(toAddresses, r => Assert.Equal(privateRanges, r.To.Select(p => p.IpBlock.Cidr)));
        }
        Assert.DoesNotContain(chart.Pods, p => p.Label("app.kubernetes.io/component") is "postgresql" or "redis");
    }

    [Fact]
    public void BundledPostgreSqlAndRedisAcceptOnlyThePlatformAndReachNothing()
    {
        var chart = PlatformChart.Render("values-local.yaml");

        foreach (var (component, port, clients) in new[] { ("postgresql", "5432/TCP", "api,migrate,worker"), ("redis", "6379/TCP", "api,worker") })
        {
            var rule = Assert.Single(IngressOf(chart, component));
            Assert.Equal(port, Ports(rule.Ports));
            Assert.Equal(clients, string.Join(",", rule.FromProperty.Select(p => p.PodSelector.MatchLabels["app.kubernetes.io/component"]).Order()));
            Assert.All(rule.FromProperty, p => Assert.Null(p.NamespaceSelector));
            Assert.Empty(EgressOf(chart, component));
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void DnsIsAllowedToKubeDnsForThePodsThatResolveNames(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var dns = Policy(chart, "dns");

        var rule = Assert.Single(dns.Spec.Egress);
        var peer = Assert.Single(rule.To);
        Assert.Equal("kube-system", peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("kube-dns", peer.PodSelector.MatchLabels["k8s-app"]);
        Assert.Equal("53/TCP,53/UDP", Ports(rule.Ports));
        foreach (var pod in chart.Pods)
        {
            var component = pod.Label("app.kubernetes.io/component");
            Assert.Equal(component is not ("postgresql" or "redis"), ChartPolicies.Selects(dns.Spec.PodSelector, pod.Metadata!.Labels));
        }
    }

    [Fact]
    public void MetricsScrapersAreLetInOnlyWhenConfigured()
    {
        var without = PlatformChart.Render("values-prod.yaml");
        Assert.Empty(IngressOf(without, "worker"));

        var with = PlatformChart.Render("values-prod.yaml", new Dictionary<string, string>
        {
            ["networkPolicy.metricsScrapers[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name"] = "monitoring",
        });
        foreach (var component in new[] { "api", "worker" })
        {
            Assert.Contains(IngressOf(with, component), r => r.FromProperty.Any(p => p.NamespaceSelector?.MatchLabels["kubernetes.io/metadata.name"] == "monitoring")
                && Ports(r.Ports) == "9090/TCP");
            // the port the ingress controller reaches never lets scrapers in
            Assert.DoesNotContain(IngressOf(with, component), r => Ports(r.Ports).Contains("8080") && r.FromProperty.Any(p => p.NamespaceSelector?.MatchLabels["kubernetes.io/metadata.name"] == "monitoring"));
        }
        Assert.DoesNotContain(IngressOf(with, "dashboard"), r => r.FromProperty.Any(p => p.NamespaceSelector?.MatchLabels["kubernetes.io/metadata.name"] == "monitoring"));
    }

    [Fact]
    public void WithACertManagerIssuerTheIngressControllerReachesTheAcmeSolverAndNothingElseNew()
    {
        var prod = PlatformChart.Render("values-prod.yaml");
        var solver = Policy(prod, "acme-solver");

        Assert.Equal("true", solver.Spec.PodSelector.MatchLabels["acme.cert-manager.io/http01-solver"]);
        Assert.Equal(["Ingress"], solver.Spec.PolicyTypes);
        var rule = Assert.Single(solver.Spec.Ingress);
        Assert.Equal("8089/TCP", Ports(rule.Ports));
        Assert.Equal("traefik", Assert.Single(rule.FromProperty).PodSelector.MatchLabels["app.kubernetes.io/name"]);
        // It selects no pod of the platform itself.
        Assert.DoesNotContain(prod.Pods, p => ChartPolicies.Selects(solver.Spec.PodSelector, p.Metadata!.Labels));
        Assert.DoesNotContain(PlatformChart.Render("values-local.yaml").OfType<V1NetworkPolicy>(), p => p.Metadata.Name.EndsWith("acme-solver", StringComparison.Ordinal));
    }
}
