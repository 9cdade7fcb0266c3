using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Storefleet.Tests.Charts;

namespace Storefleet.Tests.Cluster;

/// <summary>Helm command lines and output parsing, checked against the real helm binary and recorded outputs.</summary>
public class HelmReleasesTests
{
    private static string Recorded(string file) => File.ReadAllText(Path.Combine(ChartHarness.FindRepoRoot(), "tests", "Storefleet.Tests", "Cluster", "testdata", file));

    [Theory]
    [InlineData("Ana Bakery")]
    [InlineData("Ana's \"Bäckerei\": café")]
    [InlineData("x\" kind: Secret name: stolen")]
    [InlineData("--set image.tag=latest")]
    [InlineData("{{ .Release.Name }} $(id) `id`")]
    public void TheGeneratedValuesRenderTheRealChartWithTheNameKeptAsData(string displayName)
    {
        var harness = ChartHarness.Shared;
        var chart = harness.ChartDir("woocommerce-store");
        var store = new StoreRef(Guid.NewGuid(), "ana-bakery");
        var release = new StoreRelease(store, displayName, "0.1.0", "ana@example.com");
        var valuesFile = Path.Combine(Path.GetTempPath(), $"values-{Guid.NewGuid():N}.json");
        File.WriteAllText(valuesFile, HelmReleases.ValuesJson(release, "ana-bakery.127.0.0.1.nip.io", "store-credentials"));
        try
        {
            var install = HelmReleases.UpgradeInstall(release, chart, [Path.Combine(chart, "values-local.yaml")], valuesFile, TimeSpan.FromMinutes(5));
            // The same release, chart, namespace and values files, rendered by the real helm instead of installed.
            var valueArgs = install.SkipWhile(a => a != "--values").ToArray();
            var rendered = harness.Template(chart, install[2], install[5], [], extraArgs: valueArgs);

            Assert.Equal(["upgrade", "--install", "ana-bakery", chart, "--namespace", "store-ana-bakery"], install[..6]);
            Assert.DoesNotContain(rendered.Objects, o => o.Kind == "Secret");
            Assert.All(rendered.Objects, o => Assert.DoesNotContain("stolen", o.Name));
            Assert.Contains(rendered.Objects, o => o.Kind == "Deployment");
            Assert.Equal("ana-bakery.127.0.0.1.nip.io", rendered.OfType<k8s.Models.V1Ingress>().Single().Spec.Rules.Single().Host);
        }
        finally
        {
            File.Delete(valuesFile);
        }
    }

    [Theory]
    [InlineData("helm4-install-dry-run.json", ReleaseState.Pending, 1, "pending-install (Dry run complete)")]
    [InlineData("status-deployed.json", ReleaseState.Deployed, 1, "Install complete")]
    [InlineData("status-pending-upgrade.json", ReleaseState.Pending, 3, "pending-upgrade (Preparing upgrade)")]
    [InlineData("status-failed.json", ReleaseState.Failed, 2, "Upgrade \"ana-bakery\" failed: context deadline exceeded")]
    public void RecordedHelmStatusOutputIsRead(string file, ReleaseState state, int revision, string description)
    {
        var info = HelmReleases.ParseStatus(Recorded(file));

        Assert.Equal((state, revision, "0.1.0", description), (info.State, info.Revision, info.ChartVersion, info.Description));
        Assert.Equal(DateTimeKind.Utc, info.UpdatedAt.Kind);
        Assert.Equal("01a21504-15d9-7ec7-beaa-69560c88be5a", info.StoreId); // config.store.id: whose release it is
    }

    [Theory]
    [InlineData("history-pending-after-deployed.json", 1)]
    [InlineData("history-never-deployed.json", null)]
    public void TheLastDeployedRevisionComesFromHelmHistory(string file, int? expected) =>
        Assert.Equal(expected, HelmReleases.LastDeployedRevision(Recorded(file)));
}
