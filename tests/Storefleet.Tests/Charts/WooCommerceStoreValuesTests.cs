using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>The values contract: what the engine sets, what the chart derives, what it refuses.</summary>
public class WooCommerceStoreValuesTests
{
    [Fact]
    public void RenderingWithoutAnExistingSecretFailsWithAClearMessage()
    {
        var result = StoreChart.TryRender([StoreChart.EngineValues], new Dictionary<string, string> { ["credentials.existingSecret"] = "" });

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("credentials.existingSecret is required", result.StdErr);
        Assert.Contains("db-password, db-root-password, admin-user and admin-password", result.StdErr);
    }

    [Fact]
    public void TheChartDefaultsAloneFailOnTheMissingSecretFirst()
    {
        var result = StoreChart.TryRender([]);

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("credentials.existingSecret is required", result.StdErr);
    }

    [Fact]
    public void TheHostIsDerivedFromTheSlugAndBaseDomainWhenTheEngineLeavesItEmpty()
    {
        var chart = StoreChart.Render("values-prod.yaml", new Dictionary<string, string> { ["ingress.host"] = "" });

        var ingress = chart.OfType<V1Ingress>().Single();
        Assert.Equal("ana-bakery.stores.example.com", Assert.Single(ingress.Spec.Rules).Host);
        Assert.Equal(["ana-bakery.stores.example.com"], Assert.Single(ingress.Spec.Tls).Hosts);
    }

    [Fact]
    public void LocalStoresGetAPlainHttpNipIoHostWithTheConfiguredClass()
    {
        var ingress = StoreChart.Render("values-local.yaml", new Dictionary<string, string> { ["ingress.host"] = "" }).OfType<V1Ingress>().Single();

        Assert.Equal("ana-bakery.127.0.0.1.nip.io", ingress.Spec.Rules.Single().Host);
        Assert.Equal("traefik", ingress.Spec.IngressClassName);
        Assert.Null(ingress.Spec.Tls);
        var backend = ingress.Spec.Rules.Single().Http.Paths.Single().Backend.Service;
        Assert.Equal("ana-bakery-wordpress", backend.Name);
    }

    [Fact]
    public void ProductionStoresUseTheWildcardDefaultCertificateAndRequestNoneOfTheirOwn()
    {
        var chart = StoreChart.Render("values-prod.yaml");
        var ingress = chart.OfType<V1Ingress>().Single();

        // TLS on the store's host, but no secret and no issuer: the ingress controller's default
        // (*.<baseDomain>) certificate serves it, and cert-manager is never asked for a certificate.
        var tls = Assert.Single(ingress.Spec.Tls);
        Assert.Equal(["ana-bakery.127.0.0.1.nip.io"], tls.Hosts);
        Assert.Null(tls.SecretName);
        Assert.False(ingress.Metadata.Annotations?.Keys.Any(k => k.StartsWith("cert-manager.io/", StringComparison.Ordinal)) ?? false);
        Assert.DoesNotContain(chart.OfType<V1NetworkPolicy>(), p => p.Metadata.Name.EndsWith("acme-solver", StringComparison.Ordinal));
        Assert.Null(Storefleet.Cluster.Kubernetes.Workloads.PerStoreCertificateName([ingress]));
        var url = chart.OfType<V1Job>().Single().Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "STORE_URL");
        Assert.StartsWith("https://", url.Value);
    }

    [Fact]
    public void APerStoreCertificateFromCertManagerAnnotatesTheIngressAndOpensTheAcmeSolver()
    {
        var chart = StoreChart.Render("values-prod.yaml", new Dictionary<string, string>
        {
            ["ingress.tls.mode"] = "perStore",
            ["ingress.tls.clusterIssuer"] = "letsencrypt-prod",
        });
        var ingress = chart.OfType<V1Ingress>().Single();

        Assert.Equal("letsencrypt-prod", ingress.Metadata.Annotations["cert-manager.io/cluster-issuer"]);
        Assert.Equal("ana-bakery-tls", ingress.Spec.Tls.Single().SecretName);
        // The certificate the engine waits for before the store is Ready (cert-manager names it after the secret).
        Assert.Equal("ana-bakery-tls", Storefleet.Cluster.Kubernetes.Workloads.PerStoreCertificateName([ingress]));
        var solver = chart.Single<V1NetworkPolicy>("ana-bakery-acme-solver");
        Assert.Equal("true", solver.Spec.PodSelector.MatchLabels["acme.cert-manager.io/http01-solver"]);
        Assert.Equal("8089", solver.Spec.Ingress.Single().Ports.Single().Port.Value);
        var stored = chart.OfType<V1Job>().Single().Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "STORE_URL");
        Assert.StartsWith("https://", stored.Value);
    }

    [Fact]
    public void APerStoreCertificateFromAnExistingSecretUsesItWithoutCertManager()
    {
        var chart = StoreChart.Render("values-prod.yaml", new Dictionary<string, string>
        {
            ["ingress.tls.mode"] = "perStore",
            ["ingress.tls.secretName"] = "ana-bakery-own-domain-tls",
        });
        var ingress = chart.OfType<V1Ingress>().Single();

        Assert.Equal("ana-bakery-own-domain-tls", ingress.Spec.Tls.Single().SecretName);
        Assert.False(ingress.Metadata.Annotations?.ContainsKey("cert-manager.io/cluster-issuer") ?? false);
        Assert.Null(Storefleet.Cluster.Kubernetes.Workloads.PerStoreCertificateName([ingress]));
        Assert.DoesNotContain(chart.OfType<V1NetworkPolicy>(), p => p.Metadata.Name.EndsWith("acme-solver", StringComparison.Ordinal));
    }

    [Fact]
    public void TheBundledImageNeedsNoDownloadAndKeepsWooCommerceInStepWithTheImage()
    {
        var chart = StoreChart.Render("values-prod.yaml");
        var wordpress = chart.PodOf("wordpress");
        var setup = chart.PodOf("setup").Spec.Containers.Single();

        Assert.Equal("bundled", setup.Env.Single(e => e.Name == "WOOCOMMERCE_SOURCE").Value);
        var sync = Assert.Single(wordpress.Spec.InitContainers);
        Assert.Equal(wordpress.Spec.Containers.Single().Image, sync.Image);
        Assert.Contains("/scripts/sync-bundled-woocommerce.sh", sync.Command);
        Assert.Null(StoreChart.Render("values-local.yaml").PodOf("wordpress").Spec.InitContainers);
    }

    [Fact]
    public void ReleaseNamesLongerThan46CharactersAreRefused()
    {
        var longSlug = new string('a', 47);
        var result = StoreChart.TryRender([StoreChart.EngineValues], release: longSlug);

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("at most 46", result.StdErr);
    }

    [Fact]
    public void A46CharacterSlugKeepsEveryNameAndLabelWithinLimits()
    {
        var slug = new string('s', 46);
        var result = StoreChart.TryRender([StoreChart.EngineValues], new Dictionary<string, string> { ["store.slug"] = slug }, release: slug);

        Assert.True(result.Succeeded, result.ToString());
        ChartPolicies.AssertNone(ChartPolicies.MalformedObjects(RenderedChart.Parse(result.StdOut), new HashSet<string> { StoreChart.Secret }), "names within limits");
    }

    public static TheoryData<string> BadValuesFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(ChartHarness.FindRepoRoot(), "tests", "Storefleet.Tests", "Charts", "bad-values"), "*.yaml").Order())
        {
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    /// <summary>
    /// Each file under bad-values/ is one mistake on top of the engine's values. Its first lines say
    /// how it must be refused: "# expect: &lt;fragment of Helm's message&gt;" and "# refused-by: schema"
    /// (values.schema.json: helm lint and helm template both refuse) or "# refused-by: template" (a
    /// check in the templates: helm template refuses; helm lint tolerates fail() by design).
    /// </summary>
    [Theory]
    [MemberData(nameof(BadValuesFiles))]
    public void BadValuesAreRejectedWithAReadableMessage(string file)
    {
        var path = Path.Combine(StoreChart.TestFiles, "bad-values", file);
        var header = File.ReadLines(path).TakeWhile(l => l.StartsWith('#')).ToList();
        string Directive(string name) => header.Select(l => l.TrimStart('#', ' ')).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..].Trim()
            ?? throw new InvalidDataException($"{file} has no '# {name}:' line");
        var expected = Directive("expect");
        var refusedBy = Directive("refused-by");
        string[] values = [StoreChart.EngineValues, path];

        var template = StoreChart.TryRender(values);
        Assert.False(template.Succeeded, $"helm template accepted {file}");
        Assert.Contains(expected, template.StdErr);

        if (refusedBy == "schema")
        {
            var lint = StoreChart.Harness.Lint(StoreChart.Dir, values);
            Assert.False(lint.Succeeded, $"helm lint accepted {file}");
            Assert.Contains(expected, lint.Output);
        }
    }

    [Fact]
    public void AtLeastTenBadValuesFilesAreChecked() => Assert.True(BadValuesFiles().Count >= 10);
}
