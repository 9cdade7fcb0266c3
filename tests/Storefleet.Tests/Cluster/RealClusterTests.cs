using System.Net;
using System.Net.Http.Json;
using k8s;
using Storefleet.Stores;
using Storefleet.Tests.Charts;
using Storefleet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Storefleet.Tests.Cluster;

/// <summary>
/// Opt-in: the whole lifecycle against a real cluster (a disposable k3d or kind cluster with an ingress
/// controller), run when KUBECONFIG is set. Skipped, and says so, everywhere else — including here,
/// where no cluster can run.
/// </summary>
public class RealClusterTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task OnARealClusterAStoreIsProvisionedServedAndDeletedWithItsNamespace()
    {
        var kubeconfig = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (string.IsNullOrEmpty(kubeconfig))
        {
            output.WriteLine("Real-cluster suite skipped: KUBECONFIG is not set. Point it at a disposable k3d/kind cluster (scripts/k3d-up.sh) to run it.");
            Skip.If(true, "KUBECONFIG is not set: the real-cluster suite needs a disposable k3d/kind cluster.");
        }
        var root = ChartHarness.FindRepoRoot();
        await using var app = new TestApp(settings: new Dictionary<string, string?>
        {
            ["Cluster:Mode"] = "kubernetes",
            ["Cluster:Kubernetes:ChartPath"] = Path.Combine(root, "charts", "woocommerce-store"),
            ["Cluster:Kubernetes:ValuesFiles:0"] = Path.Combine(root, "charts", "woocommerce-store", "values-local.yaml"),
            ["Cluster:Kubernetes:HelmPath"] = ChartHarness.Shared.HelmPath,
            ["Provisioning:Policy:PollInterval"] = "00:00:03",
            ["Provisioning:Worker:IdlePoll"] = "00:00:02",
        });
        var ana = await app.ClientFor($"ana-{Guid.NewGuid():N}@example.com");
        var name = $"Real {Guid.NewGuid().ToString("N")[..6]}";

        var store = await (await ana.PostJson("/stores", new { name })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await app.WaitForPhase(store.Id, StorePhase.Ready, TimeSpan.FromMinutes(10));
        var ready = await ana.GetFromJsonAsync<StoreResponse>($"/stores/{store.Id}", Json.Options);
        var credentials = await ana.GetFromJsonAsync<CredentialsResponse>($"/stores/{store.Id}/credentials", Json.Options);
        output.WriteLine($"{ready!.Slug} Ready at {ready.Urls!.Storefront} (admin password {credentials!.Password.Length} chars)");

        (await ana.DeleteAsync($"/stores/{store.Id}")).EnsureSuccessStatusCode();
        await app.WaitUntilGone(store.Id, TimeSpan.FromMinutes(5));

        var kube = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var namespaces = await kube.CoreV1.ListNamespaceAsync(labelSelector: $"storefleet.dev/store-id={store.Id}");
        Assert.Empty(namespaces.Items);
    }
}
