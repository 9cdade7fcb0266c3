using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>The platform chart's backup settings: where the bucket is, and who holds its keys.</summary>
public class PlatformChartBackupTests
{
    static readonly Dictionary<string, string> S3 = new()
    {
        ["backups.objectStore.endpoint"] = "https://s3.eu-west-1.amazonaws.com",
        ["backups.objectStore.bucket"] = "acme-shops",
        ["backups.objectStore.region"] = "eu-west-1",
        ["backups.objectStore.existingSecret"] = "storefleet-backups",
    };

    static string? Env(V1Container c, string name) => c.Env.SingleOrDefault(e => e.Name == name)?.Value;

    [Fact]
    public void OnlyTheWorkersGetTheBucketsKeysFromTheOperatorsSecretAndTheApiOnlyKnowsWhere()
    {
        var chart = PlatformChart.Render("values-prod.yaml", S3);
        var worker = chart.Pod("worker").Spec.Containers.Single();
        var api = chart.Pod("api").Spec.Containers.Single();

        foreach (var c in new[] { worker, api })
        {
            Assert.Equal("https://s3.eu-west-1.amazonaws.com", Env(c, "Backups__ObjectStore__Endpoint"));
            Assert.Equal("acme-shops", Env(c, "Backups__ObjectStore__Bucket"));
            Assert.Equal("eu-west-1", Env(c, "Backups__ObjectStore__Region"));
        }
        var key = worker.Env.Single(e => e.Name == "Backups__ObjectStore__SecretAccessKey").ValueFrom.SecretKeyRef;
        Assert.Equal(("storefleet-backups", "secret-access-key"), (key.Name, key.Key));
        Assert.DoesNotContain(api.Env, e => e.Name.StartsWith("Backups__ObjectStore__AccessKeyId", StringComparison.Ordinal) || e.Name.EndsWith("SecretAccessKey", StringComparison.Ordinal));
    }

    [Fact]
    public void AnEndpointWithoutTheSecretOfItsKeysIsRefusedWithTheKeysItNeeds()
    {
        var result = PlatformChart.TryRender("values-prod.yaml", new Dictionary<string, string>(S3) { ["backups.objectStore.existingSecret"] = "" });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("access-key-id and secret-access-key", result.Output);
    }

    [Fact]
    public void TheWorkersMayReachTheObjectStoreOnlyWhenBackupsAreConfigured()
    {
        static bool ReachesPort(RenderedChart chart, string port) =>
            chart.Single<V1NetworkPolicy>($"{PlatformChart.Release}-worker").Spec.Egress.Any(r => r.Ports.Any(p => p.Port.Value == port) && r.To.Any(t => t.IpBlock?.Cidr == "0.0.0.0/0" || t.NamespaceSelector is not null));

        Assert.False(ReachesPort(PlatformChart.Render("values-prod.yaml", new Dictionary<string, string> { ["networkPolicy.kubernetesApi.ports[0]"] = "6443" }), "443"));
        var minio = PlatformChart.Render("values-prod.yaml", new Dictionary<string, string>(S3)
        {
            ["backups.objectStore.endpoint"] = "http://minio.minio.svc:9000",
            ["networkPolicy.objectStore.port"] = "9000",
            ["networkPolicy.objectStore.peers[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name"] = "minio",
        });
        Assert.True(ReachesPort(minio, "9000"));
    }
}
