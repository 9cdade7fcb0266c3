using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Storefleet.Tests.Charts;

/// <summary>Every local/production difference lives in values: the templates know no environment.</summary>
public partial class PlatformChartValuesTests
{
    static string TemplatesDir => Path.Combine(PlatformChart.Dir, "templates");

    [GeneratedRegex(@"\{\{-?\s*/\*.*?\*/\s*-?\}\}", RegexOptions.Singleline)]
    private static partial Regex TemplateComment();

    [GeneratedRegex(@"(?im)^\s*#.*$")]
    private static partial Regex YamlComment();

    /// <summary>Environment names, products and domains that would betray a switch or a hard-coded site
    /// (storefleet.dev is the product's own label domain, as in storefleet.dev/store-id, not a site).</summary>
    [GeneratedRegex(@"(?i)\b(k3d|k3s|gke|minikube|nip\.io|example\.com|localhost|traefik|nginx|letsencrypt|local-path|standard-rwo|prod|staging|(?<!storefleet\.)dev)\b")]
    private static partial Regex EnvironmentWord();

    [GeneratedRegex(@"\{\{[^}]*\b(eq|ne)\b[^}]*""[^""]*""[^}]*\}\}")]
    private static partial Regex ComparisonWithALiteral();

    [GeneratedRegex(@"\.Values\.(env|environment|profile|stage|mode|target|platform)\b", RegexOptions.IgnoreCase)]
    private static partial Regex EnvironmentValue();

    [Fact]
    public void TemplatesContainNoEnvironmentSwitchAndNoSiteSpecificName()
    {
        var problems = new List<string>();
        foreach (var file in Directory.GetFiles(TemplatesDir).Where(f => !f.EndsWith("NOTES.txt", StringComparison.Ordinal)).Order())
        {
            var code = YamlComment().Replace(TemplateComment().Replace(File.ReadAllText(file), ""), "");
            var name = Path.GetFileName(file);
            foreach (Match m in EnvironmentWord().Matches(code)) problems.Add($"{name}: '{m.Value}' (site-specific: make it a value)");
            foreach (Match m in ComparisonWithALiteral().Matches(code)) problems.Add($"{name}: {m.Value} (a switch on a string: use a boolean or the value itself)");
            foreach (Match m in EnvironmentValue().Matches(code)) problems.Add($"{name}: {m.Value} (an environment switch)");
        }
        ChartPolicies.AssertNone(problems, "environment switches in templates");
    }

    [Fact]
    public void TheSwitchCheckCatchesAnEnvironmentSwitch()
    {
        const string template = """
            {{- /* comments may say local or prod */ -}}
            {{- if eq .Values.environment "prod" }}
            host: api.example.com
            {{- end }}
            """;
        var code = YamlComment().Replace(TemplateComment().Replace(template, ""), "");

        Assert.Matches(EnvironmentWord(), code);
        Assert.Matches(ComparisonWithALiteral(), code);
        Assert.Matches(EnvironmentValue(), code);
    }

    static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(PlatformChart.Dir, file));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    /// <summary>Keys the overlay sets that values.yaml does not declare (free-form maps excepted).</summary>
    static void Undeclared(YamlMappingNode defaults, YamlMappingNode overlay, string path, List<string> problems)
    {
        foreach (var (keyNode, value) in overlay.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            var at = path.Length == 0 ? key : $"{path}.{key}";
            if (!defaults.Children.TryGetValue(new YamlScalarNode(key), out var declared))
            {
                problems.Add($"{at} is not declared in values.yaml");
                continue;
            }
            if (declared is YamlMappingNode declaredMap && value is YamlMappingNode overlayMap)
            {
                // An empty map in values.yaml (chartOverrides, nodeSelector), annotations (values.yaml has
                // a default one, more are the operator's) and label selectors are free-form.
                if (declaredMap.Children.Count > 0 && key is not ("matchLabels" or "annotations")) Undeclared(declaredMap, overlayMap, at, problems);
            }
            else if (declared.NodeType != value.NodeType)
            {
                problems.Add($"{at} is a {value.NodeType} here but a {declared.NodeType} in values.yaml");
            }
        }
    }

    [Theory]
    [InlineData("values-local.yaml")]
    [InlineData("values-prod.yaml")]
    public void EachEnvironmentFileOnlySetsValuesTheChartDeclares(string valuesFile)
    {
        var problems = new List<string>();
        Undeclared(Load("values.yaml"), Load(valuesFile), "", problems);
        ChartPolicies.AssertNone(problems, "declared values");
    }

    [Fact]
    public void LocalAndProductionRenderTheSameObjectsExceptTheBundledDataStoresAndTheAcmeSolver()
    {
        static HashSet<string> Names(RenderedChart chart) => chart.Objects.Select(o => o.ToString()).ToHashSet();
        var local = Names(PlatformChart.Render("values-local.yaml"));
        var prod = Names(PlatformChart.Render("values-prod.yaml"));

        // TLS through cert-manager opens its HTTP-01 solver to the ingress controller.
        Assert.Equal(["NetworkPolicy/storefleet-acme-solver"], prod.Except(local));
        Assert.Equal(
            [
                "Deployment/storefleet-redis", "NetworkPolicy/storefleet-postgresql", "NetworkPolicy/storefleet-redis",
                "Secret/storefleet-generated", "Service/storefleet-postgresql", "Service/storefleet-redis",
                "ServiceAccount/storefleet-data", "StatefulSet/storefleet-postgresql",
            ],
            local.Except(prod).Order());
    }

    [Theory]
    [InlineData("values-local.yaml", "values-local.yaml")]
    [InlineData("values-prod.yaml", "values-prod.yaml")]
    public void EachEnvironmentProvisionsStoresWithTheStoreChartsMatchingValuesFile(string platformValues, string storeValues)
    {
        var worker = PlatformChart.Render(platformValues).Pod("worker").Spec.Containers.Single();

        Assert.Equal($"/app/charts/woocommerce-store/{storeValues}", worker.Env("Cluster__Kubernetes__ValuesFiles__0")!.Value);
    }
}
