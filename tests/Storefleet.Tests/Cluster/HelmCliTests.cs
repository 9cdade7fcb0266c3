using Storefleet.Cluster.Kubernetes;
using Storefleet.Tests.Charts;

namespace Storefleet.Tests.Cluster;

/// <summary>What the tenant and the operator read when helm fails: helm's Error line, from recorded Helm 4 stderr.</summary>
public class HelmCliTests
{
    private static string Recorded(string file) => File.ReadAllText(Path.Combine(ChartHarness.FindRepoRoot(), "tests", "Storefleet.Tests", "Cluster", "testdata", file));

    [Fact]
    public void TheErrorLineIsReportedNotTheLogLinesHelm4WritesBeforeIt()
    {
        var stderr = Recorded("helm4-install-schema-error.stderr");
        Assert.StartsWith("level=DEBUG", stderr); // what reporting the first line used to show

        var message = HelmCli.ErrorMessage(stderr);

        Assert.Equal(
            "Error: INSTALLATION FAILED: values don't meet the specifications of the schema(s) in the following chart(s): " +
            "woocommerce-store: - at '': additional properties 'replicaCount', 'storeName' not allowed",
            message);
    }

    [Fact]
    public void AnErrorWithoutLogLinesIsReportedAsItIs()
    {
        Assert.Equal(
            "Error: kubernetes cluster unreachable: Get \"https://127.0.0.1:1/version\": dial tcp 127.0.0.1:1: connect: connection refused",
            HelmCli.ErrorMessage(Recorded("helm4-unreachable.stderr")));
    }

    [Theory]
    [InlineData("level=INFO msg=\"waiting for resources\"\nError: UPGRADE FAILED: context deadline exceeded\nlevel=INFO msg=\"done\"\n", "Error: UPGRADE FAILED: context deadline exceeded")]
    [InlineData("level=INFO msg=\"waiting\"\nsomething went wrong\nlevel=DEBUG msg=\"exit\"\n", "something went wrong")]
    [InlineData("", "(no output)")]
    public void LogLinesAroundTheErrorAreLeftOut(string stderr, string expected) =>
        Assert.Equal(expected, HelmCli.ErrorMessage(stderr));

    [Fact]
    public void AVeryLongErrorIsCut() =>
        Assert.Equal(500, HelmCli.ErrorMessage("Error: " + new string('x', 2000)).Length);
}
