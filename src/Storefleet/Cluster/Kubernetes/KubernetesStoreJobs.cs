using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Storefleet.Cluster.Kubernetes;

/// <summary>
/// Backup and restore Jobs on a real cluster: a Job copied from the store chart's suspended
/// <c>&lt;release&gt;-backup</c> / <c>&lt;release&gt;-restore</c> CronJob (the chart owns the pod: image, Pod Security,
/// resources, volumes, NetworkPolicy labels), plus the run's variables. Presigned URLs go through a Secret owned by
/// the Job (garbage-collected with it), never into the Job's spec. Named per run, so creating is idempotent.
/// </summary>
public sealed class KubernetesStoreJobs(IKubernetes kube)
{
    public static string JobName(StoreRef store, string kind, string runId)
    {
        var name = $"{store.ReleaseName}-{(kind == "backup" ? "bk" : "rs")}-{runId.ToLowerInvariant()}";
        return name.Length <= 63 ? name : name[..63].TrimEnd('-');
    }

    public async Task<JobStatus> RunAsync(StoreRef store, string kind, string runId, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var name = JobName(store, kind, runId);
        var job = await KubernetesStoreCluster.Call(() => kube.BatchV1.ReadNamespacedJobAsync(name, store.Namespace, cancellationToken: ct), allowNotFound: true);
        if (job is null)
        {
            var template = await KubernetesStoreCluster.Call(() => kube.BatchV1.ReadNamespacedCronJobAsync($"{store.ReleaseName}-{kind}", store.Namespace, cancellationToken: ct), allowNotFound: true);
            if (template is null)
                return JobStatus.NoTemplate($"The store's chart has no {kind} template (CronJob {store.ReleaseName}-{kind}): it is from before backups; a chart version with backups brings it.");
            job = await CreateAsync(store, name, kind, template, environment, ct);
            return JobStatus.Running($"Job {name} created.");
        }
        if (job.Status?.Succeeded > 0)
        {
            var output = await OutputAsync(store, name, kind, ct);
            if (kind == "restore") return new JobStatus(JobState.Completed, $"Job {name} completed.");
            return JobStatus.CompletedBackup(output)
                ?? JobStatus.Failed($"Job {name} completed but reported no size and checksum (its termination message: {Short(output)}).");
        }
        if (job.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True") is { } failed)
        {
            var output = await OutputAsync(store, name, kind, ct);
            return JobStatus.Failed(output.Length > 0 ? JobStatus.FailureReason(output) : $"Job {name} failed: {failed.Reason} {failed.Message}".Trim());
        }
        var pods = await KubernetesStoreCluster.Call(() => kube.CoreV1.ListNamespacedPodAsync(store.Namespace, labelSelector: $"job-name={name}", cancellationToken: ct));
        var waiting = pods!.Items.SelectMany(p => p.Status?.ContainerStatuses ?? []).Select(s => s.State?.Waiting).FirstOrDefault(w => w is not null);
        return JobStatus.Running(waiting is null ? $"Job {name} is running." : $"Job {name} is waiting: {waiting.Reason} {waiting.Message}".Trim());
    }

    private async Task<V1Job> CreateAsync(StoreRef store, string name, string kind, V1CronJob template, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var spec = template.Spec.JobTemplate.Spec;
        var container = spec.Template.Spec.Containers.Single(c => c.Name == kind);
        container.Env ??= [];
        foreach (var (variable, value) in environment)
        {
            // URLs are presigned credentials for one object: through the Secret, so `kubectl get job -o yaml` does not show them.
            container.Env.Add(variable.EndsWith("_URL", StringComparison.Ordinal)
                ? new V1EnvVar { Name = variable, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = name, Key = variable.ToLowerInvariant().Replace('_', '-') } } }
                : new V1EnvVar { Name = variable, Value = value });
        }
        var labels = new Dictionary<string, string>(template.Spec.JobTemplate.Metadata?.Labels ?? new Dictionary<string, string>());
        var job = new V1Job
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels, Annotations = new Dictionary<string, string> { ["storefleet.dev/template"] = template.Metadata.Name } },
            Spec = spec,
        };
        V1Job created;
        try
        {
            created = await kube.BatchV1.CreateNamespacedJobAsync(job, store.Namespace, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            created = (await KubernetesStoreCluster.Call(() => kube.BatchV1.ReadNamespacedJobAsync(name, store.Namespace, cancellationToken: ct)))!;
        }
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = name, Labels = labels,
                OwnerReferences = [new V1OwnerReference { ApiVersion = "batch/v1", Kind = "Job", Name = name, Uid = created.Metadata.Uid }],
            },
            StringData = environment.Where(e => e.Key.EndsWith("_URL", StringComparison.Ordinal)).ToDictionary(e => e.Key.ToLowerInvariant().Replace('_', '-'), e => e.Value),
        };
        try
        {
            await kube.CoreV1.CreateNamespacedSecretAsync(secret, store.Namespace, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Created by an earlier attempt of this step.
        }
        return created;
    }

    /// <summary>The container's termination message (the result line, or the log tail on error: FallbackToLogsOnError).</summary>
    private async Task<string> OutputAsync(StoreRef store, string name, string kind, CancellationToken ct)
    {
        var pods = await KubernetesStoreCluster.Call(() => kube.CoreV1.ListNamespacedPodAsync(store.Namespace, labelSelector: $"job-name={name}", cancellationToken: ct));
        return pods!.Items.OrderByDescending(p => p.Metadata.CreationTimestamp)
            .SelectMany(p => p.Status?.ContainerStatuses ?? []).Where(s => s.Name == kind)
            .Select(s => s.State?.Terminated?.Message).FirstOrDefault(m => !string.IsNullOrWhiteSpace(m)) ?? "";
    }

    private static string Short(string text) => text.Length > 300 ? text[..300] : text;
}
