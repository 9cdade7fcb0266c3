namespace Storefleet.Cluster;

/// <summary>
/// The one port between the provisioning engine and a cluster. Every call is idempotent: applying what
/// is already there, or deleting what is already gone, succeeds. Implementations: <see cref="Kubernetes.KubernetesStoreCluster"/>
/// (Helm 4 CLI + KubernetesClient) and <see cref="SimulatedCluster"/> (the same contract, in memory).
/// </summary>
public interface IStoreCluster
{
    /// <summary>"kubernetes" or "simulated": shown to users so nobody mistakes a simulation for real stores.</summary>
    string Kind { get; }

    /// <summary>What is there now. Throws <see cref="ClusterException"/> when the cluster cannot be read.</summary>
    Task<StoreObservation> ObserveAsync(StoreRef store, CancellationToken ct);

    /// <summary>Creates the store's namespace, labelled as ours, if absent.</summary>
    Task EnsureNamespaceAsync(StoreRef store, CancellationToken ct);

    /// <summary>
    /// Creates the credentials Secret if absent and returns what it holds. Never regenerates: the
    /// passwords must keep matching the data already written to the store's volumes.
    /// </summary>
    Task<StoreCredentials> EnsureCredentialsAsync(StoreRef store, CancellationToken ct);

    /// <summary><c>helm upgrade --install</c> of the store chart. Does not wait for readiness.</summary>
    Task InstallAsync(StoreRelease release, CancellationToken ct);

    /// <summary>A release stuck in pending-*: roll back to the last deployed revision, or uninstall when there is none.</summary>
    Task RecoverReleaseAsync(StoreRef store, CancellationToken ct);

    /// <summary><c>helm uninstall</c>; succeeds when there is no release.</summary>
    Task UninstallAsync(StoreRef store, CancellationToken ct);

    /// <summary>Starts deleting the namespace (and with it everything in it); succeeds when it is absent.</summary>
    Task DeleteNamespaceAsync(StoreRef store, CancellationToken ct);

    /// <summary>Every namespace labelled as managed by Storefleet, live store or not (the orphan collector compares).</summary>
    IAsyncEnumerable<ManagedNamespace> ListManagedAsync(CancellationToken ct);
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
    public static readonly StoreObservation Nothing = new(NamespaceState.Absent, false, ReleaseInfo.None,
        ComponentStatus.Absent, ComponentStatus.Absent, ComponentStatus.Absent, null, []);

    /// <summary>
    /// The store's own TLS certificate (cert-manager Certificate, condition Ready), or null when the store
    /// has none of its own: plain HTTP, or the ingress controller's wildcard default certificate
    /// (<c>ingress.tls.mode: wildcard</c>, the production default). Only a per-store certificate gates Ready.
    /// </summary>
    public ComponentStatus? Certificate { get; init; }
}

/// <summary>A cluster call failed. <see cref="Reason"/> is a short CamelCase word for metrics and conditions.</summary>
public sealed class ClusterException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Reason { get; } = reason;
}
