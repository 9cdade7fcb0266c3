using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Storefleet.Cluster.Kubernetes;

public sealed class KubernetesClusterOptions
{
    /// <summary>The store chart: a directory, a packaged .tgz, or an oci:// reference.</summary>
    public string ChartPath { get; set; } = "charts/woocommerce-store";
    /// <summary>
    /// Other store chart versions the worker can install, by version: a directory or packaged .tgz each (shipped in
    /// the image next to the current chart). With an oci:// <see cref="ChartPath"/>, list the versions with an empty path.
    /// Fleet upgrades (/admin/upgrades) move stores between them.
    /// </summary>
    public Dictionary<string, string> ChartVersions { get; set; } = [];
    /// <summary>The operator's values files, e.g. values-local.yaml or values-prod.yaml, applied before the store's own values.</summary>
    public string[] ValuesFiles { get; set; } = [];
    /// <summary>Stores are served at &lt;slug&gt;.&lt;BaseDomain&gt;.</summary>
    public string BaseDomain { get; set; } = "127.0.0.1.nip.io";
    public string UrlScheme { get; set; } = "http";
    public string HelmPath { get; set; } = "helm";
    public TimeSpan HelmTimeout { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>A kubeconfig file; unset: KUBECONFIG, ~/.kube/config, or the in-cluster service account.</summary>
    public string? KubeConfig { get; set; }
    public string? KubeContext { get; set; }
    public string CredentialsSecret { get; set; } = "store-credentials";
    /// <summary>
    /// The ClusterRole holding the worker's namespaced permissions (charts/storefleet sets it). When set, every
    /// store namespace gets a RoleBinding of it to <see cref="WorkerServiceAccount"/> right after it is created.
    /// Unset (a developer's kubeconfig, which carries its own rights): no RoleBinding.
    /// </summary>
    public string? StoreRole { get; set; }
    /// <summary>The worker's own ServiceAccount as <c>namespace/name</c>, the subject of each store namespace's RoleBinding.</summary>
    public string? WorkerServiceAccount { get; set; }
}

/// <summary>
/// The real cluster: Helm 4 CLI for releases, KubernetesClient for namespaces, the credentials Secret and
/// everything we read (pods, Jobs, Events, Ingress). Cluster Events such as ImagePullBackOff or an unbound
/// PVC become the messages users see.
/// </summary>
public sealed class KubernetesStoreCluster(IKubernetes kube, HelmCli helm, KubernetesClusterOptions options, TimeProvider clock) : IStoreCluster
{
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "storefleet";
    public const string StoreIdLabel = "storefleet.dev/store-id";
    public const string StoreSlugLabel = "storefleet.dev/slug";

    /// <summary>The RoleBinding the worker creates in each store namespace (to <see cref="KubernetesClusterOptions.StoreRole"/>).</summary>
    public const string WorkerRoleBinding = "storefleet-worker";


    public async Task<StoreObservation> ObserveAsync(StoreRef store, CancellationToken ct)
    {
        var ns = await Call(() => kube.CoreV1.ReadNamespaceAsync(store.Namespace, cancellationToken: ct), allowNotFound: true);
        if (ns is null) return StoreObservation.Nothing;
        if (ns.Metadata.DeletionTimestamp is not null || ns.Status?.Phase == "Terminating")
            return StoreObservation.Nothing with { Namespace = NamespaceState.Terminating };
        // Not ours: read nothing inside it (the worker has no permission there anyway) and report it as absent.
        if (!Owns(ns.Metadata, store))
            return StoreObservation.Nothing with { Conflict = new(ConflictingObject.Namespace, store.Namespace, store.Namespace, Workloads.Label(ns.Metadata, StoreIdLabel)) };

        V1Secret? secret;
        try
        {
            secret = await Call(() => kube.CoreV1.ReadNamespacedSecretAsync(options.CredentialsSecret, store.Namespace, cancellationToken: ct), allowNotFound: true);
        }
        catch (ClusterException e) when (e.Reason == "Forbidden" && !string.IsNullOrEmpty(options.StoreRole))
        {
            // Our namespace, but our RoleBinding is missing or not in effect yet: EnsureNamespace grants it.
            return StoreObservation.Nothing with { Namespace = NamespaceState.Active, AccessGranted = false };
        }
        if (secret is not null && Workloads.Label(secret.Metadata, StoreIdLabel) != store.Id.ToString())
            return StoreObservation.Nothing with
            {
                Namespace = NamespaceState.Active,
                Conflict = new(ConflictingObject.CredentialsSecret, options.CredentialsSecret, store.Namespace, Workloads.Label(secret.Metadata, StoreIdLabel)),
            };
        var release = await StatusAsync(store, ct);
        if (release.State != ReleaseState.Absent && release.StoreId != store.Id.ToString())
            return StoreObservation.Nothing with
            {
                Namespace = NamespaceState.Active,
                CredentialsExist = secret is not null,
                Conflict = new(ConflictingObject.Release, store.ReleaseName, store.Namespace, release.StoreId),
            };
        var selector = $"app.kubernetes.io/instance={store.ReleaseName}";
        var pods = await Call(() => kube.CoreV1.ListNamespacedPodAsync(store.Namespace, labelSelector: selector, cancellationToken: ct));
        var jobs = await Call(() => kube.BatchV1.ListNamespacedJobAsync(store.Namespace, labelSelector: $"{selector},app.kubernetes.io/component=setup", cancellationToken: ct));
        var events = await Call(() => kube.CoreV1.ListNamespacedEventAsync(store.Namespace, fieldSelector: "type=Warning", cancellationToken: ct));
        var ingresses = await Call(() => kube.NetworkingV1.ListNamespacedIngressAsync(store.Namespace, labelSelector: selector, cancellationToken: ct));
        var certificate = await CertificateAsync(store, ingresses!.Items, ct);

        var setupFailure = await SetupFailureAsync(store, jobs!.Items, pods!.Items, ct);

        return new StoreObservation(
            NamespaceState.Active,
            secret is not null,
            release,
            Workloads.Component(pods.Items, "database", "MySQL"),
            Workloads.Component(pods.Items, "wordpress", "WordPress"),
            Workloads.SetupJob(jobs.Items, setupFailure),
            Workloads.StorefrontUrl(ingresses!.Items, options.UrlScheme),
            Workloads.RecentWarnings(events!.Items, clock.GetUtcNow().UtcDateTime),
            secret?.Data is { } data && data.TryGetValue("admin-user", out var user) ? Encoding.UTF8.GetString(user) : null) { Certificate = certificate };
    }

    /// <summary>
    /// Why the newest setup attempt failed, in the setup script's own words: the last
    /// "setup FAILED: &lt;what&gt; — &lt;why&gt;" line of the newest failed setup pod's log. Read only when the
    /// newest Job has failed attempts. Null when there is none or the log cannot be read (the Job's own
    /// condition is reported then).
    /// </summary>
    private async Task<string?> SetupFailureAsync(StoreRef store, IList<V1Job> jobs, IList<V1Pod> pods, CancellationToken ct)
    {
        var job = jobs.OrderByDescending(j => j.Metadata.CreationTimestamp).FirstOrDefault();
        if (job is null || (job.Status?.Failed ?? 0) == 0) return null;
        var failed = pods
            .Where(p => Workloads.Label(p.Metadata, "job-name") == job.Metadata.Name && p.Status?.Phase == "Failed")
            .OrderByDescending(p => p.Metadata.CreationTimestamp)
            .FirstOrDefault();
        if (failed is null) return null;
        try
        {
            await using var log = await kube.CoreV1.ReadNamespacedPodLogAsync(failed.Metadata.Name, store.Namespace, container: "setup", tailLines: 40, cancellationToken: ct);
            using var reader = new StreamReader(log);
            return Workloads.SetupFailureLine(await reader.ReadToEndAsync(ct));
        }
        catch (HttpOperationException)
        {
            return null;   // gone already, or no pods/log permission: the Job's condition still says it failed
        }
    }

    /// <summary>
    /// The store's own certificate, when its Ingress asks cert-manager for one (ingress.tls.mode=perStore:
    /// an issuer annotation and a TLS secretName; cert-manager's ingress-shim then keeps a Certificate of
    /// that name). Null when the store has none: plain HTTP, or the wildcard default certificate.
    /// Read through the generic custom-objects API: no cert-manager types are compiled in.
    /// </summary>
    private async Task<ComponentStatus?> CertificateAsync(StoreRef store, IList<V1Ingress> ingresses, CancellationToken ct)
    {
        if (Workloads.PerStoreCertificateName(ingresses) is not { } name) return null;
        try
        {
            var certificate = await kube.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>(
                "cert-manager.io", "v1", store.Namespace, "certificates", name, ct);
            return Workloads.Certificate(certificate, name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return Workloads.CertificateNotFound(name, e.Response.Content);
        }
        catch (HttpOperationException e)
        {
            throw Translate(e);
        }
        catch (HttpRequestException e)
        {
            throw new ClusterException("ClusterUnreachable", $"The Kubernetes API did not answer: {e.Message}", e);
        }
    }

    public async Task EnsureNamespaceAsync(StoreRef store, CancellationToken ct)
    {
        var body = new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = store.Namespace,
                Labels = new Dictionary<string, string>
                {
                    [ManagedBy] = ManagedByValue,
                    [StoreIdLabel] = store.Id.ToString(),
                    [StoreSlugLabel] = store.Slug,
                    // Pod Security Admission: every pod of the store chart meets "restricted"; enforce it.
                    ["pod-security.kubernetes.io/enforce"] = "restricted",
                },
            },
        };
        try
        {
            await kube.CoreV1.CreateNamespaceAsync(body, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await Call(() => kube.CoreV1.ReadNamespaceAsync(store.Namespace, cancellationToken: ct));
            if (existing!.Metadata.DeletionTimestamp is not null)
                throw new ClusterException("NamespaceTerminating", $"Namespace {store.Namespace} is still being deleted; it will be created again once it is gone.");
            if (!Owns(existing.Metadata, store))
                throw new ClusterException(ClusterException.NamespaceConflict,
                    $"Namespace {store.Namespace} exists but is not this store's (storefleet.dev/store-id={Workloads.Label(existing.Metadata, StoreIdLabel) ?? "none"}); nothing was written to it.");
        }
        catch (HttpOperationException e)
        {
            throw Translate(e);
        }
        await EnsureAccessAsync(store, ct);
    }

    /// <summary>
    /// Binds the worker's namespaced ClusterRole in the store's namespace: the worker holds no namespaced
    /// permission anywhere else. Idempotent: an existing binding of that name is kept (a RoleBinding's roleRef
    /// cannot change; if it is not ours, the worker stays without access and the store says so).
    /// </summary>
    private async Task EnsureAccessAsync(StoreRef store, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(options.StoreRole)) return;
        var account = (options.WorkerServiceAccount ?? "").Split('/');
        if (account.Length != 2 || account.Any(string.IsNullOrEmpty))
            throw new ClusterException("Misconfigured", $"Cluster:Kubernetes:WorkerServiceAccount must be <namespace>/<name> of the worker's ServiceAccount when StoreRole is set (it is '{options.WorkerServiceAccount}').");
        var binding = new V1RoleBinding
        {
            Metadata = new V1ObjectMeta
            {
                Name = WorkerRoleBinding,
                Labels = new Dictionary<string, string> { [ManagedBy] = ManagedByValue, [StoreIdLabel] = store.Id.ToString() },
            },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = options.StoreRole },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = account[1], NamespaceProperty = account[0] }],
        };
        try
        {
            await kube.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(binding, store.Namespace, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Already bound (an earlier attempt): nothing to do.
        }
        catch (HttpOperationException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>Ours: labelled managed by Storefleet and carrying this store's id.</summary>
    private static bool Owns(V1ObjectMeta meta, StoreRef store) =>
        Workloads.Label(meta, ManagedBy) == ManagedByValue && Workloads.Label(meta, StoreIdLabel) == store.Id.ToString();

    public async Task<StoreCredentials> EnsureCredentialsAsync(StoreRef store, CancellationToken ct)
    {
        var existing = await Call(() => kube.CoreV1.ReadNamespacedSecretAsync(options.CredentialsSecret, store.Namespace, cancellationToken: ct), allowNotFound: true);
        if (existing is null)
        {
            var secret = new V1Secret
            {
                Metadata = new V1ObjectMeta
                {
                    Name = options.CredentialsSecret,
                    Labels = new Dictionary<string, string> { [ManagedBy] = ManagedByValue, [StoreIdLabel] = store.Id.ToString() },
                },
                Type = "Opaque",
                StringData = Credentials(),
            };
            try
            {
                existing = await kube.CoreV1.CreateNamespacedSecretAsync(secret, store.Namespace, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // Another attempt created it first: use theirs, never overwrite.
                existing = await Call(() => kube.CoreV1.ReadNamespacedSecretAsync(options.CredentialsSecret, store.Namespace, cancellationToken: ct));
            }
            catch (HttpOperationException e)
            {
                throw Translate(e);
            }
        }
        // Another store's Secret (or nobody's) is never read back: its passwords must not reach this store's owner.
        if (Workloads.Label(existing!.Metadata, StoreIdLabel) != store.Id.ToString())
            throw new ClusterException(ClusterException.NamespaceConflict,
                $"Secret {options.CredentialsSecret} in {store.Namespace} is not this store's (storefleet.dev/store-id={Workloads.Label(existing.Metadata, StoreIdLabel) ?? "none"}); it was not used.");
        var data = existing.Data ?? new Dictionary<string, byte[]>();
        if (IsLegacyAdminUser(data))
        {
            // Stores made before the chart read admin-user from this Secret: the chart created the WordPress
            // login "storeadmin" while the Secret (and the API) said "admin", which WordPress refused. Make the
            // Secret name the login that exists; the password was always the same key.
            var patch = new V1Patch(System.Text.Json.JsonSerializer.Serialize(new { stringData = new Dictionary<string, string> { ["admin-user"] = StoreCredentials.DefaultAdminUser } }), V1Patch.PatchType.MergePatch);
            existing = await Call(() => kube.CoreV1.PatchNamespacedSecretAsync(patch, options.CredentialsSecret, store.Namespace, cancellationToken: ct));
            data = existing!.Data ?? new Dictionary<string, byte[]>();
        }
        return CredentialsFrom(data, $"Secret {options.CredentialsSecret} in {store.Namespace}");
    }

    /// <summary>
    /// The login the platform hands the tenant, read from the credentials Secret's data: exactly what the
    /// chart's setup Job creates in WordPress (it reads the same two keys).
    /// </summary>
    public static StoreCredentials CredentialsFrom(IDictionary<string, byte[]> data, string where)
    {
        if (!data.TryGetValue("admin-password", out var password))
            throw new ClusterException("CredentialsInvalid", $"{where} has no admin-password key.");
        if (!data.TryGetValue("admin-user", out var user) || user.Length == 0)
            throw new ClusterException("CredentialsInvalid", $"{where} has no admin-user key (the WordPress login the setup creates).");
        return new StoreCredentials(Encoding.UTF8.GetString(user), Encoding.UTF8.GetString(password));
    }

    /// <summary>admin-user "admin" (or none) is what this engine wrote before the chart used the key; it never writes it now.</summary>
    internal static bool IsLegacyAdminUser(IDictionary<string, byte[]> data) =>
        !data.TryGetValue("admin-user", out var user) || Encoding.UTF8.GetString(user) == "admin";

    public async Task InstallAsync(StoreRelease release, CancellationToken ct)
    {
        var file = Path.Combine(Path.GetTempPath(), $"storefleet-{release.Store.Slug}-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, StoreValuesJson(release, options), ct);
        try
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await helm.RunCheckedAsync(HelmReleases.UpgradeInstall(release, ChartFor(release.ChartVersion), options.ValuesFiles, file, options.HelmTimeout), "InstallFailed", ct);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The chart to install for a version: its own directory or package when one is listed, else <see cref="KubernetesClusterOptions.ChartPath"/>.</summary>
    private string ChartFor(string version) =>
        options.ChartVersions.TryGetValue(version, out var path) && !string.IsNullOrEmpty(path) ? path : options.ChartPath;

    /// <summary>
    /// The per-store values file <see cref="InstallAsync"/> hands to <c>helm upgrade --install</c> (after the
    /// operator's values files). Public so that the real-store tests render the chart with exactly these values.
    /// </summary>
    public static string StoreValuesJson(StoreRelease release, KubernetesClusterOptions options) =>
        HelmReleases.ValuesJson(release, $"{release.Store.Slug}.{options.BaseDomain}", options.CredentialsSecret);

    public async Task RecoverReleaseAsync(StoreRef store, CancellationToken ct)
    {
        var history = await helm.RunAsync(HelmReleases.History(store), ct);
        var last = history.ExitCode == 0 ? HelmReleases.LastDeployedRevision(history.Stdout) : null;
        if (last is { } revision)
            await helm.RunCheckedAsync(HelmReleases.Rollback(store, revision), "RollbackFailed", ct);
        else
            await helm.RunCheckedAsync(HelmReleases.Uninstall(store), "UninstallFailed", ct);
    }

    public Task UninstallAsync(StoreRef store, CancellationToken ct) =>
        helm.RunCheckedAsync(HelmReleases.Uninstall(store), "UninstallFailed", ct);

    public async Task DeleteNamespaceAsync(StoreRef store, CancellationToken ct)
    {
        var ns = await Call(() => kube.CoreV1.ReadNamespaceAsync(store.Namespace, cancellationToken: ct), allowNotFound: true);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null) return;
        // Never delete a namespace that is not this store's, whatever its name. (The orphan collector passes the
        // store id the namespace carries, so it can remove a managed namespace whose store is gone.)
        if (!Owns(ns.Metadata, store))
            throw new ClusterException(ClusterException.NamespaceConflict,
                $"Namespace {store.Namespace} is not this store's (storefleet.dev/store-id={Workloads.Label(ns.Metadata, StoreIdLabel) ?? "none"}); refusing to delete it.");
        await Call(() => kube.CoreV1.DeleteNamespaceAsync(store.Namespace, propagationPolicy: "Background", cancellationToken: ct), allowNotFound: true);
    }

    public async IAsyncEnumerable<ManagedNamespace> ListManagedAsync([EnumeratorCancellation] CancellationToken ct)
    {
        string? next = null;
        do
        {
            var page = await Call(() => kube.CoreV1.ListNamespaceAsync(labelSelector: $"{ManagedBy}={ManagedByValue}", limit: 500, continueParameter: next, cancellationToken: ct));
            foreach (var ns in page!.Items)
                yield return new ManagedNamespace(
                    ns.Metadata.Name,
                    Guid.TryParse(Workloads.Label(ns.Metadata, StoreIdLabel), out var id) ? id : null,
                    ns.Metadata.CreationTimestamp ?? DateTime.MinValue,
                    ns.Metadata.DeletionTimestamp is not null);
            next = page.Metadata?.ContinueProperty;
        } while (!string.IsNullOrEmpty(next));
    }

    public Task<JobStatus> BackupAsync(StoreRef store, BackupJob job, CancellationToken ct) =>
        new KubernetesStoreJobs(kube).RunAsync(store, "backup", job.RunId, job.Environment, ct);

    public Task<JobStatus> RestoreAsync(StoreRef store, RestoreJob job, CancellationToken ct) =>
        new KubernetesStoreJobs(kube).RunAsync(store, "restore", job.RunId, job.Environment, ct);

    private async Task<ReleaseInfo> StatusAsync(StoreRef store, CancellationToken ct)
    {
        var result = await helm.RunAsync(HelmReleases.Status(store), ct);
        if (result.ExitCode == 0) return HelmReleases.ParseStatus(result.Stdout);
        if (HelmReleases.IsNotFound(result.Stderr)) return ReleaseInfo.None;
        throw new ClusterException("HelmStatusFailed", $"helm status failed: {HelmCli.ErrorMessage(result.Stderr)}");
    }

    /// <summary>Everything secret a store needs, generated once: database and admin passwords, and WordPress'
    /// auth keys and salts (stable salts keep users signed in across pod restarts).</summary>
    public static Dictionary<string, string> Credentials()
    {
        var data = new Dictionary<string, string>
        {
            ["db-password"] = Password(),
            ["db-root-password"] = Password(),
            ["admin-password"] = Password(),
            ["admin-user"] = StoreCredentials.DefaultAdminUser,
        };
        foreach (var key in new[] { "auth-key", "secure-auth-key", "logged-in-key", "nonce-key", "auth-salt", "secure-auth-salt", "logged-in-salt", "nonce-salt" })
            data[$"wp-{key}"] = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%+-.:=@^_~", 64);
        return data;
    }

    private static string Password() => RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 32);

    internal static async Task<T?> Call<T>(Func<Task<T>> call, bool allowNotFound = false) where T : class
    {
        try
        {
            return await call();
        }
        catch (HttpOperationException e) when (allowNotFound && e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e)
        {
            throw Translate(e);
        }
        catch (HttpRequestException e)
        {
            throw new ClusterException("ClusterUnreachable", $"The Kubernetes API did not answer: {e.Message}", e);
        }
    }

    private static ClusterException Translate(HttpOperationException e) => e.Response.StatusCode switch
    {
        HttpStatusCode.Forbidden => new ClusterException("Forbidden", $"The worker's service account may not do this ({e.Response.ReasonPhrase}); check the platform chart's RBAC.", e),
        HttpStatusCode.Unauthorized => new ClusterException("Unauthorized", "The Kubernetes API refused the worker's credentials.", e),
        _ => new ClusterException("KubernetesApiError", $"The Kubernetes API answered {(int)e.Response.StatusCode} {e.Response.ReasonPhrase}.", e),
    };
}

/// <summary>Turns pods, Jobs, Events and Ingresses into component states and messages people understand. Pure.</summary>
public static class Workloads
{
    /// <summary>What a completed setup Job has proven (files/setup.sh and verify-store.php).</summary>
    public const string StoreConfiguredMessage =
        "WooCommerce installed, Cash on Delivery enabled, sample products seeded and verified; test order placed with Cash on Delivery and removed";

    private static readonly HashSet<string> FailingWaitReasons =
        ["ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "CreateContainerConfigError", "InvalidImageName", "CreateContainerError"];

    public static ComponentStatus Component(IList<V1Pod> pods, string component, string display)
    {
        var mine = pods.Where(p => Workloads.Label(p.Metadata, "app.kubernetes.io/component") == component && p.Metadata.DeletionTimestamp is null).ToList();
        if (mine.Count == 0) return new ComponentStatus(ComponentState.Progressing, $"no {display} pod yet");
        if (mine.Any(IsReady)) return new ComponentStatus(ComponentState.Ready, $"{display} is ready");
        foreach (var pod in mine)
        {
            var waiting = (pod.Status?.ContainerStatuses ?? []).Concat(pod.Status?.InitContainerStatuses ?? [])
                .Select(s => s.State?.Waiting).FirstOrDefault(w => w is not null && FailingWaitReasons.Contains(w.Reason ?? ""));
            if (waiting is not null)
                return new ComponentStatus(ComponentState.Failed, $"{display} pod {pod.Metadata.Name}: {waiting.Reason}: {waiting.Message}".TrimEnd(' ', ':'));
            var unschedulable = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False");
            if (unschedulable is not null)
                return new ComponentStatus(ComponentState.Progressing, $"{display} pod {pod.Metadata.Name} cannot be scheduled: {unschedulable.Message}");
        }
        var pod0 = mine[0];
        var ready = pod0.Status?.ContainerStatuses?.Count(c => c.Ready) ?? 0;
        var total = pod0.Spec?.Containers?.Count ?? 1;
        return new ComponentStatus(ComponentState.Progressing, $"{display} is starting ({ready}/{total} containers ready)");
    }

    /// <param name="lastFailure">The last "setup FAILED: …" line of the newest failed attempt's log, when read.</param>
    public static ComponentStatus SetupJob(IList<V1Job> jobs, string? lastFailure = null)
    {
        var job = jobs.OrderByDescending(j => j.Metadata.CreationTimestamp).FirstOrDefault();
        if (job is null) return ComponentStatus.Absent;
        if (job.Status?.Succeeded > 0 || job.Status?.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true)
            return new ComponentStatus(ComponentState.Ready, StoreConfiguredMessage);
        var failed = job.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True");
        if (failed is not null)
            return new ComponentStatus(ComponentState.Failed, lastFailure is not null
                ? $"Setup job {job.Metadata.Name} failed ({failed.Reason}): {lastFailure}"
                : $"Setup job {job.Metadata.Name} failed: {failed.Reason}: {failed.Message}".TrimEnd(' ', ':'));
        var attempts = (job.Status?.Failed ?? 0) + (job.Status?.Active ?? 0);
        var running = attempts > 1 ? $"setup job running (attempt {attempts})" : "setup job running";
        return new ComponentStatus(ComponentState.Progressing, lastFailure is not null ? $"{running}; the last attempt ended with {lastFailure}" : running);
    }

    /// <summary>The last line the setup script writes when a step fails (files/setup.sh: fail), or null.</summary>
    public static string? SetupFailureLine(string log)
    {
        var line = log.Split('\n', StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith("setup FAILED:", StringComparison.Ordinal));
        return line is null ? null : line.Length > 600 ? line[..600] + "…" : line;
    }

    public static string? StorefrontUrl(IList<V1Ingress> ingresses, string scheme)
    {
        var ingress = ingresses.FirstOrDefault();
        var host = ingress?.Spec?.Rules?.FirstOrDefault()?.Host;
        if (host is null) return null;
        var tls = ingress!.Spec.Tls?.Any(t => t.Hosts?.Contains(host) == true) == true;
        return $"{(tls ? "https" : scheme)}://{host}/";
    }

    public const string CertManagerClusterIssuer = "cert-manager.io/cluster-issuer", CertManagerIssuer = "cert-manager.io/issuer";

    /// <summary>The Certificate cert-manager's ingress-shim keeps for the store's Ingress (named after its TLS
    /// secret), or null when the Ingress asks for none (no issuer annotation, or TLS without a secretName,
    /// which the ingress controller serves with its default wildcard certificate).</summary>
    public static string? PerStoreCertificateName(IList<V1Ingress> ingresses)
    {
        var ingress = ingresses.FirstOrDefault();
        var annotations = ingress?.Metadata?.Annotations;
        if (annotations is null || !(annotations.ContainsKey(CertManagerClusterIssuer) || annotations.ContainsKey(CertManagerIssuer))) return null;
        return ingress!.Spec?.Tls?.Select(t => t.SecretName).FirstOrDefault(n => !string.IsNullOrEmpty(n));
    }

    /// <summary>A cert-manager.io/v1 Certificate's status: Ready=True is issued; a recorded failure is Failed
    /// (cert-manager retries with its own backoff); anything else is still being issued.</summary>
    public static ComponentStatus Certificate(JsonElement certificate, string name)
    {
        var status = certificate.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
        JsonElement? Condition(string type) =>
            status.ValueKind == JsonValueKind.Object && status.TryGetProperty("conditions", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Where(c => Text(c, "type") == type).Select(c => (JsonElement?)c).FirstOrDefault()
                : null;
        var ready = Condition("Ready");
        if (ready is { } r && Text(r, "status") == "True")
        {
            var until = status.TryGetProperty("notAfter", out var notAfter) ? $", valid until {notAfter.GetString()}" : "";
            return new ComponentStatus(ComponentState.Ready, $"certificate {name} is issued{until}");
        }
        var issuing = Condition("Issuing");
        var detail = (issuing is { } i ? Text(i, "message") : null) ?? (ready is { } r2 ? Text(r2, "message") : null) ?? "no status yet";
        if (status.ValueKind == JsonValueKind.Object && status.TryGetProperty("lastFailureTime", out _))
        {
            var attempts = status.TryGetProperty("failedIssuanceAttempts", out var n) && n.ValueKind == JsonValueKind.Number ? $" (failed attempts: {n.GetInt32()}; cert-manager retries with backoff)" : "";
            return new ComponentStatus(ComponentState.Failed, $"cert-manager could not issue certificate {name}: {detail}{attempts}");
        }
        return new ComponentStatus(ComponentState.Progressing, $"certificate {name} is being issued: {detail}");
    }

    /// <summary>
    /// A 404 for the Certificate. The API server names the object when the kind exists and the object does
    /// not (cert-manager has not created it yet); any other 404 ("404 page not found") means the
    /// cert-manager.io/v1 API is not served at all: per-store TLS is configured but cert-manager is missing.
    /// </summary>
    public static ComponentStatus CertificateNotFound(string name, string? body)
    {
        var objectMissing = false;
        try
        {
            using var doc = JsonDocument.Parse(body ?? "");
            objectMissing = doc.RootElement.TryGetProperty("details", out var details) && Text(details, "name") == name;
        }
        catch (JsonException)
        {
        }
        return objectMissing
            ? new ComponentStatus(ComponentState.Progressing, $"cert-manager has not created certificate {name} yet")
            : new ComponentStatus(ComponentState.Failed,
                $"the store's Ingress asks for its own certificate {name} (ingress.tls.mode=perStore), but this cluster does not serve cert-manager.io/v1 Certificates: " +
                "install cert-manager (kubectl get crd certificates.cert-manager.io), or use ingress.tls.mode=wildcard with the ingress controller's default certificate");
    }

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Warning events of the last 10 minutes, newest first, deduplicated: "Reason: message (object)".</summary>
    public static IReadOnlyList<string> RecentWarnings(IList<Corev1Event> events, DateTime now) =>
        [.. events
            .Where(e => e.Type == "Warning")
            .Select(e => (Time: e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp ?? DateTime.MinValue, e))
            .Where(x => now - x.Time < TimeSpan.FromMinutes(10))
            .OrderByDescending(x => x.Time)
            .Select(x => $"{x.e.Reason}: {x.e.Message} ({x.e.InvolvedObject?.Kind?.ToLowerInvariant()}/{x.e.InvolvedObject?.Name})")
            .Distinct()
            .Take(5)];

    public static string? Label(V1ObjectMeta meta, string key) =>
        meta.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : null;

    private static bool IsReady(V1Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
}
