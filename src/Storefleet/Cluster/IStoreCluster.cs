namespace Storefleet.Cluster;

/// <summary>
/// The one port between the provisioning engine and a cluster. Every call is idempotent: applying what
/// is already there, or deleting what is already gone, succeeds. Implementations: <see cref="Kubernetes.KubernetesStoreCluster"/>
/// (Helm 4 CLI + KubernetesClient) and <see cref="SimulatedCluster"/> (the same contract, in memory).
/// </summary>
public interface IStoreCluster
{
    /// <summary>
    /// What is there now. Throws <see cref="ClusterException"/> when the cluster cannot be read.
    /// Ownership is part of the observation: a namespace, credentials Secret or release with the store's
    /// name that does not carry the store's id is reported in <see cref="StoreObservation.Conflict"/>,
    /// and nothing inside a namespace that is not the store's is read.
    /// </summary>
    Task<StoreObservation> ObserveAsync(StoreRef store, CancellationToken ct);

    /// <summary>
    /// Creates the store's namespace, labelled as ours, if absent, and grants the worker its namespaced
    /// permissions there (a RoleBinding, where the cluster is configured for one). A namespace of that
    /// name that is not the store's throws <see cref="ClusterException"/> with reason
    /// <see cref="ClusterException.NamespaceConflict"/> and is left untouched.
    /// </summary>
    Task EnsureNamespaceAsync(StoreRef store, CancellationToken ct);

    /// <summary>
    /// Creates the credentials Secret if absent and returns what it holds. Never regenerates: the
    /// passwords must keep matching the data already written to the store's volumes. A Secret that
    /// carries another store's id (or none) is never read back: <see cref="ClusterException.NamespaceConflict"/>.
    /// </summary>
    Task<StoreCredentials> EnsureCredentialsAsync(StoreRef store, CancellationToken ct);

    /// <summary><c>helm upgrade --install</c> of the store chart. Does not wait for readiness.</summary>
    Task InstallAsync(StoreRelease release, CancellationToken ct);

    /// <summary>A release stuck in pending-*: roll back to the last deployed revision, or uninstall when there is none.</summary>
    Task RecoverReleaseAsync(StoreRef store, CancellationToken ct);

    /// <summary><c>helm uninstall</c>; succeeds when there is no release.</summary>
    Task UninstallAsync(StoreRef store, CancellationToken ct);

    /// <summary>
    /// Starts deleting the namespace (and with it everything in it); succeeds when it is absent. Refuses
    /// (<see cref="ClusterException.NamespaceConflict"/>) a namespace that is not this store's.
    /// </summary>
    Task DeleteNamespaceAsync(StoreRef store, CancellationToken ct);

    /// <summary>Every namespace labelled as managed by Storefleet, live store or not (the orphan collector compares).</summary>
    IAsyncEnumerable<ManagedNamespace> ListManagedAsync(CancellationToken ct);

    /// <summary>
    /// Starts the backup Job (from the chart's <c>&lt;release&gt;-backup</c> template) if it does not exist, and reports
    /// where it is: running, completed with the object's size and sha256, or failed with the script's reason.
    /// Idempotent per <see cref="BackupJob.RunId"/>: calling it again only observes.
    /// </summary>
    Task<JobStatus> BackupAsync(StoreRef store, BackupJob job, CancellationToken ct);

    /// <summary>The same for a restore Job (<c>&lt;release&gt;-restore</c>), per <see cref="RestoreJob.RunId"/>.</summary>
    Task<JobStatus> RestoreAsync(StoreRef store, RestoreJob job, CancellationToken ct);
}

public sealed record StoreRef(Guid Id, string Slug)
{
    public string Namespace => $"store-{Slug}";
    /// <summary>Deterministic, so a retried install finds the release an earlier attempt made.</summary>
    public string ReleaseName => Slug;
}

/// <summary>Everything the chart needs to install one store (no secrets: those stay in the Secret).</summary>
public sealed record StoreRelease(StoreRef Store, string DisplayName, string ChartVersion, string OwnerEmail);

/// <summary>The store owner's WordPress login, as the credentials Secret holds it (keys admin-user and admin-password).</summary>
public sealed record StoreCredentials(string AdminUser, string AdminPassword)
{
    /// <summary>The login new stores get. Not "admin": the first name every password-guessing bot tries.</summary>
    public const string DefaultAdminUser = "storeadmin";
}

public sealed record ManagedNamespace(string Name, Guid? StoreId, DateTime CreatedAt, bool Terminating);

public enum NamespaceState { Absent, Active, Terminating }

/// <summary>Helm release states we act on (helm's own: deployed, failed, pending-install/upgrade/rollback, uninstalling…).</summary>
public enum ReleaseState { Absent, Deployed, Failed, Pending, Uninstalling }

public sealed record ReleaseInfo(ReleaseState State, int Revision, string ChartVersion, DateTime UpdatedAt, string Description)
{
    /// <summary>The store id the release was installed for (the engine passes it in the values as <c>store.id</c>); null if none.</summary>
    public string? StoreId { get; init; }

    public static readonly ReleaseInfo None = new(ReleaseState.Absent, 0, "", DateTime.MinValue, "");
}

public enum ComponentState { Absent, Progressing, Ready, Failed }

/// <summary>One workload of the store (database, WordPress, setup Job) and a message a person can act on.</summary>
public sealed record ComponentStatus(ComponentState State, string Message = "")
{
    public static readonly ComponentStatus Absent = new(ComponentState.Absent, "not created yet");
}

public sealed record StoreObservation(
    NamespaceState Namespace,
    bool CredentialsExist,
    ReleaseInfo Release,
    ComponentStatus Database,
    ComponentStatus WordPress,
    ComponentStatus Setup,
    string? StorefrontUrl,
    /// <summary>Recent Warning events of the namespace (ImagePullBackOff, unbound PVC, failing probes), newest first.</summary>
    IReadOnlyList<string> Warnings,
    /// <summary>The WordPress login the credentials Secret names (admin-user), when it was read; null otherwise.</summary>
    string? AdminUser = null)
{
    /// <summary>
    /// An object with this store's name that belongs to another store or to nobody we know. When set, the
    /// rest of the observation describes only what is the store's own: a foreign namespace is reported as
    /// <see cref="NamespaceState.Absent"/>, a foreign Secret as missing, a foreign release as absent.
    /// </summary>
    public OwnershipConflict? Conflict { get; init; }

    /// <summary>
    /// False when the namespace is the store's but the worker may not read inside it yet: its RoleBinding is
    /// missing (a worker stopped between creating the namespace and binding) or not in effect yet.
    /// </summary>
    public bool AccessGranted { get; init; } = true;

    public static readonly StoreObservation Nothing = new(NamespaceState.Absent, false, ReleaseInfo.None,
        ComponentStatus.Absent, ComponentStatus.Absent, ComponentStatus.Absent, null, []);

    /// <summary>
    /// The store's own TLS certificate (cert-manager Certificate, condition Ready), or null when the store
    /// has none of its own: plain HTTP, or the ingress controller's wildcard default certificate
    /// (<c>ingress.tls.mode: wildcard</c>, the production default). Only a per-store certificate gates Ready.
    /// </summary>
    public ComponentStatus? Certificate { get; init; }
}

/// <summary>Which kind of object with the store's name turned out not to be the store's.</summary>
public enum ConflictingObject { Namespace, CredentialsSecret, Release }

/// <summary>
/// An object named like the store's that carries another owner: <paramref name="FoundStoreId"/> is the
/// <c>storefleet.dev/store-id</c> it carries, or null when it carries none (not made by Storefleet, or
/// by a version that did not label it). Never adopted, never written to.
/// </summary>
public sealed record OwnershipConflict(ConflictingObject Object, string Name, string Namespace, string? FoundStoreId);

/// <summary>A cluster call failed. <see cref="Reason"/> is a short CamelCase word for metrics and conditions.</summary>
public sealed class ClusterException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The reason for an object with the store's name that is not the store's (see <see cref="OwnershipConflict"/>).</summary>
    public const string NamespaceConflict = "NamespaceConflict";

    public string Reason { get; } = reason;
}
