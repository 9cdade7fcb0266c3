using System.Text.RegularExpressions;

namespace Storefleet.Tests.Charts;

/// <summary>
/// docs/operations.md as an operator reads it: every command block says whether it was tested here or
/// what it needs, the tests it names exist, and the API-server egress command (the one a k3s install
/// most easily gets wrong) is the same as values-prod.yaml's and prints what the values need.
/// </summary>
public partial class OperationsDocTests
{
    static string Doc => File.ReadAllText(Path.Combine(PlatformChart.Repo, "docs", "operations.md"));

    [GeneratedRegex(@"^(?<indent>[ ]*)```(?<lang>[a-z]+)\n(?<first>[^\n]*)", RegexOptions.Multiline)]
    private static partial Regex CodeBlock();

    [Fact]
    public void EveryCommandBlockSaysWhetherItWasTestedHereOrWhatItNeeds()
    {
        var blocks = CodeBlock().Matches(Doc);

        Assert.True(blocks.Count > 20, $"only {blocks.Count} code blocks found");
        Assert.All(blocks, b => Assert.Matches(@"^\s*(#|--) (tested here|not runnable here)", b.Groups["first"].Value));
    }

    [Fact]
    public void TheTestsTheDocNamesExist()
    {
        var named = Regex.Matches(Doc, @"\b([A-Z][A-Za-z0-9]+Tests)\b").Select(m => m.Groups[1].Value).Distinct().ToList();
        var testFiles = Directory.GetFiles(Path.Combine(PlatformChart.Repo, "tests"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText).ToList();

        Assert.Contains("PlatformImageBuildTests", named);
        Assert.Contains("K3dScriptTests", named);
        Assert.All(named, name => Assert.Contains(testFiles, text => text.Contains($"class {name}", StringComparison.Ordinal)));
    }

    [GeneratedRegex(@"kubectl get endpointslice -n default -l kubernetes\.io/service-name=kubernetes -o jsonpath='(?<path>[^']+)'")]
    private static partial Regex EndpointSliceCommand();

    [Fact]
    public void TheApiServerAddressCommandIsTheSameInTheDocAndInTheProductionValues()
    {
        var values = File.ReadAllText(Path.Combine(PlatformChart.Repo, "charts", "storefleet", "values-prod.yaml"));

        var inDoc = EndpointSliceCommand().Match(Doc);
        var inValues = EndpointSliceCommand().Match(values);

        Assert.True(inDoc.Success, "docs/operations.md has no EndpointSlice command");
        Assert.True(inValues.Success, "values-prod.yaml has no EndpointSlice command");
        Assert.Equal(inDoc.Value, inValues.Value);
    }

    [Theory]
    // k3s advertises its default-route address (here a public one) on 6443; GKE its control plane on 443.
    [InlineData("203.0.113.10", 6443)]
    [InlineData("172.16.0.2", 443)]
    public void TheApiServerAddressCommandPrintsTheAddressAndPortTheEgressPolicyNeeds(string address, int port)
    {
        var jsonpath = EndpointSliceCommand().Match(Doc).Groups["path"].Value;
        var slice = Path.Combine(Path.GetTempPath(), $"endpointslice-{Guid.NewGuid():N}.json");
        // What `kubectl get endpointslice -l kubernetes.io/service-name=kubernetes` returns: a list.
        File.WriteAllText(slice, $$$"""
            {"apiVersion":"v1","kind":"List","items":[{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
              "metadata":{"name":"kubernetes","namespace":"default","labels":{"kubernetes.io/service-name":"kubernetes"}},
              "addressType":"IPv4","endpoints":[{"addresses":["{{{address}}}"],"conditions":{"ready":true}}],
              "ports":[{"name":"https","port":{{{port}}},"protocol":"TCP"}]}]}
            """);
        try
        {
            // kubectl evaluates the same jsonpath offline on a local object (no cluster here).
            var result = ChartHarness.Run(ChartHarness.RequireTool("kubectl"),
                ["patch", "--local", "-f", slice, "--type=merge", "-p", "{}", "-o", $"jsonpath={jsonpath}"]);

            Assert.True(result.Succeeded, result.ToString());
            Assert.Equal($"{address} {port}", result.StdOut.Trim());
        }
        finally
        {
            File.Delete(slice);
        }
    }
}
