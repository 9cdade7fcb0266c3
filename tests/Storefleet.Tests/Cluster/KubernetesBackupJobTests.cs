using System.Text;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Storefleet.Tests.RealStore;

namespace Storefleet.Tests.Cluster;

/// <summary>The driver's backup and restore Jobs: copied from the chart's own templates (rendered by helm), URLs through a Secret.</summary>
public sealed class KubernetesBackupJobTests : IAsyncLifetime
{
    private static readonly StoreRef Store = new(Guid.Parse("01a21504-15d9-7ec7-beaa-69560c88be5a"), RealStoreKit.Release);
    private FakeKubeApi _api = null!;
    private KubernetesStoreCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubeApi.StartAsync();
        var options = new KubernetesClusterOptions { ChartPath = "/charts/woocommerce-store" };
        _cluster = new KubernetesStoreCluster(_api.Client(), new HelmCli(options, NullLogger<HelmCli>.Instance), options, TimeProvider.System);
        _api.AddNamespace(Store.Namespace, new Dictionary<string, string> { [KubernetesStoreCluster.ManagedBy] = "storefleet", [KubernetesStoreCluster.StoreIdLabel] = Store.Id.ToString() });
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private void AddTemplates()
    {
        foreach (var kind in new[] { "backup", "restore" })
        {
            var template = RealStoreKit.Render().JobTemplate(kind);
            template.Metadata.NamespaceProperty = Store.Namespace;
            _api.CronJobs.Add(template);
        }
    }

    private void Finish(string jobName, bool succeeded, string terminationMessage)
    {
        var job = _api.Jobs.Single(j => j.Metadata.Name == jobName);
        job.Status = succeeded
            ? new V1JobStatus { Succeeded = 1 }
            : new V1JobStatus { Failed = 1, Conditions = [new V1JobCondition { Type = "Failed", Status = "True", Reason = "BackoffLimitExceeded" }] };
        var container = job.Spec.Template.Spec.Containers[0].Name;
        _api.Pods.Add(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = jobName + "-x1", NamespaceProperty = Store.Namespace, Labels = new Dictionary<string, string> { ["job-name"] = jobName }, CreationTimestamp = DateTime.UtcNow },
            Status = new V1PodStatus { ContainerStatuses = [new V1ContainerStatus { Name = container, State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = succeeded ? 0 : 1, Message = terminationMessage } } }] },
        });
    }

    [Fact]
    public async Task ABackupJobIsTheChartsTemplatePlusItsIdWithThePresignedUrlOnlyInASecretOwnedByTheJob()
    {
        AddTemplates();
        var url = new Uri("https://s3.example.com/bucket/storefleet/stores/x/y.tar?X-Amz-Signature=abc");
        var job = new BackupJob(Guid.Parse("01a23111-ad46-7fc6-b82f-022fb2caa5b8"), url);

        var first = await _cluster.BackupAsync(Store, job, default);
        var again = await _cluster.BackupAsync(Store, job, default);

        Assert.Equal(JobState.Running, first.State);
        Assert.Equal(JobState.Running, again.State);
        var created = Assert.Single(_api.Jobs);
        Assert.Equal("ana-bakery-bk-022fb2caa5b8", created.Metadata.Name);
        Assert.Equal("backup", created.Metadata.Labels["app.kubernetes.io/component"]);
        var pod = created.Spec.Template.Spec;
        Assert.Equal(["/bin/sh", "/scripts/backup.sh"], pod.Containers[0].Command);
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.Equal(job.BackupId.ToString(), pod.Containers[0].Env.Single(e => e.Name == "BACKUP_ID").Value);
        var reference = pod.Containers[0].Env.Single(e => e.Name == "BACKUP_UPLOAD_URL").ValueFrom.SecretKeyRef;
        Assert.Equal(created.Metadata.Name, reference.Name);
        Assert.DoesNotContain("X-Amz-Signature", KubernetesJsonOf(created));
        var secret = _api.Secret(Store.Namespace, created.Metadata.Name)!;
        Assert.Equal(url.AbsoluteUri, Encoding.UTF8.GetString(secret.Data[reference.Key]));
        Assert.Equal(created.Metadata.Uid, Assert.Single(secret.Metadata.OwnerReferences).Uid);

        Finish(created.Metadata.Name, succeeded: true, $"{{\"sizeBytes\":28938240,\"sha256\":\"{new string('a', 64)}\"}}");
        var done = await _cluster.BackupAsync(Store, job, default);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(28938240, done.SizeBytes);
        Assert.Equal(new string('a', 64), done.Sha256);
    }

    [Fact]
    public async Task AFailedRestoreReportsTheScriptsReasonLine()
    {
        AddTemplates();
        var job = new RestoreJob("g7", Guid.NewGuid(), new Uri("https://s3.example.com/b/k?sig=1"), new string('b', 64));
        await _cluster.RestoreAsync(Store, job, default);
        Finish("ana-bakery-rs-g7", succeeded: false,
            "10:02:21 restore: downloading backup x\nrestore FAILED: backup x — it is corrupted or truncated: its sha256 is c (14469120 bytes) but the backup was recorded as b; the store was not changed\n");

        var status = await _cluster.RestoreAsync(Store, job, default);

        Assert.Equal(JobState.Failed, status.State);
        Assert.StartsWith("restore FAILED: backup x — it is corrupted or truncated", status.Message);
        Assert.Equal("restore", _api.Jobs.Single().Spec.Template.Spec.Containers[0].Name);
        Assert.Equal("wordpress-files", _api.Jobs.Single().Spec.Template.Spec.InitContainers.Single().Name);
    }

    [Fact]
    public async Task AStoreWhoseChartHasNoBackupTemplateIsReportedAsSuchAndNothingIsCreated()
    {
        var status = await _cluster.BackupAsync(Store, new BackupJob(Guid.NewGuid(), new Uri("https://s3.example.com/b/k")), default);

        Assert.Equal(JobState.NoTemplate, status.State);
        Assert.Contains("has no backup template", status.Message);
        Assert.Empty(_api.Jobs);
    }

    private static string KubernetesJsonOf(V1Job job) => k8s.KubernetesJson.Serialize(job);
}
