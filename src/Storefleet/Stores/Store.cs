using System.Linq.Expressions;

namespace Storefleet.Stores;

/// <summary>
/// One tenant store. The row holds the desired spec (what the tenant asked for), the observed status
/// (what the workers last saw) and the queue fields the workers lease it by: the stores table is the work queue.
/// </summary>
public sealed class Store
{
    public Guid Id { get; set; }

    // ---- desired spec ----
    public Guid OwnerId { get; set; }
    public required string Name { get; set; }
    /// <summary>DNS-1123 label, unique platform-wide while the store exists; the namespace is <c>store-&lt;slug&gt;</c>.</summary>
    public required string Slug { get; set; }
    public required string Engine { get; set; }
    /// <summary>The chart version the store should run (a fleet upgrade wave changes it, with a new generation).</summary>
    public required string ChartVersion { get; set; }
    /// <summary>The fleet upgrade (Upgrades.Rollout) that has claimed the store, if any: a store is in at most one.</summary>
    public Guid? RolloutId { get; set; }
    /// <summary>Bumped whenever the spec changes (including a deletion or retry request).</summary>
    public long Generation { get; set; } = 1;
    public DateTime? DeletionRequestedAt { get; set; }
    /// <summary>Restore this backup into the store (in place, or a clone's first data); cleared once the store is Ready again.</summary>
    public Guid? RestoreBackupId { get; set; }
    /// <summary>When the restore Job finished; the engine then re-applies the release so the setup Job verifies the store.</summary>
    public DateTime? RestoredAt { get; set; }
    /// <summary>When the scheduler takes the next daily backup (a time of day spread across stores by id).</summary>
    public DateTime? NextBackupAt { get; set; }
    /// <summary>
    /// The backup queued last, as a marker that the store has backup work: set in the same transaction that queues a
    /// backup (API, scheduler, the engine's pre-upgrade backup), cleared by the engine once it finds no Pending or
    /// Running backup of the store. Null: no backup activity, so the engine's steps never read StoreBackups.
    /// Guaranteed: a Pending or Running backup implies a marker. A marker left set (a crash) only costs the next step
    /// one query that finds nothing and clears it. A concurrency token, so a worker's clear never overwrites a newer request.
    /// </summary>
    public Guid? PendingBackupId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    // ---- observed status ----
    public StorePhase Phase { get; set; } = StorePhase.Pending;
    public List<StoreCondition> Conditions { get; set; } = [];
    public long ObservedGeneration { get; set; }
    public string? StorefrontUrl { get; set; }
    public string? AdminUrl { get; set; }
    public DateTime? ProvisioningDeadline { get; set; }
    public DateTime? ReadyAt { get; set; }
    /// <summary>The chart version of the release the store was last Ready on (observed); null before its first Ready.</summary>
    public string? RunningChartVersion { get; set; }
    /// <summary>The WordPress admin password, AES-GCM encrypted (see CredentialProtector); the cluster Secret is the source of truth.</summary>
    public string? AdminPasswordProtected { get; set; }
    /// <summary>The WordPress login (the Secret's admin-user), handed out with the password. Null: not read yet.</summary>
    public string? AdminUser { get; set; }

    // ---- work queue ----
    /// <summary>When a worker should look at the store next; null means nothing to do until the spec changes.</summary>
    public DateTime? DueAt { get; set; }
    /// <summary>Consecutive failed attempts, for backoff; reset after progress.</summary>
    public int Attempt { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
}

public static class StoreQueries
{
    /// <summary>Stores that count against the owner's quota: every store not being deleted.</summary>
    public static IQueryable<Store> Active(this IQueryable<Store> stores) => stores.Where(s => s.DeletionRequestedAt == null);

    /// <summary>
    /// Only the columns a store's API view reads (<see cref="StoreResponse.From"/> and the owner): the reads of one
    /// store and of a page fetch these instead of whole rows with lease, schedule and secret columns. The result
    /// is a detached, partial <see cref="Store"/>: for showing, never for saving.
    /// </summary>
    public static readonly Expression<Func<Store, Store>> ViewColumns = s => new Store
    {
        Id = s.Id, OwnerId = s.OwnerId, Name = s.Name, Slug = s.Slug, Engine = s.Engine, Phase = s.Phase, Conditions = s.Conditions,
        StorefrontUrl = s.StorefrontUrl, AdminUrl = s.AdminUrl, ChartVersion = s.ChartVersion, RunningChartVersion = s.RunningChartVersion,
        CreatedAt = s.CreatedAt, UpdatedAt = s.UpdatedAt,
    };
}

public enum StorePhase
{
    Pending,
    Provisioning,
    Ready,
    Error,
    Deleting,
    /// <summary>A backup is being put back (in place or into a clone); the store turns Ready once verified like a new one.</summary>
    Restoring,
}

/// <summary>A Kubernetes-style condition: the latest observation of one aspect of the store.</summary>
public sealed class StoreCondition
{
    public required string Type { get; set; }
    /// <summary>"True", "False" or "Unknown".</summary>
    public required string Status { get; set; }
    public required string Reason { get; set; }
    public string Message { get; set; } = "";
    public DateTime LastTransitionTime { get; set; }
}

/// <summary>Append-only timeline of one store. Kept after the store is deleted.</summary>
public sealed class StoreEvent
{
    public long Id { get; set; }
    public Guid StoreId { get; set; }
    public DateTime Time { get; set; }
    /// <summary>"Normal" or "Warning", as in Kubernetes events.</summary>
    public required string Type { get; set; }
    public required string Reason { get; set; }
    public required string Message { get; set; }

    public static StoreEvent Normal(Guid storeId, DateTime time, string reason, string message) =>
        new() { StoreId = storeId, Time = time, Type = "Normal", Reason = reason, Message = message };

    public static StoreEvent Warning(Guid storeId, DateTime time, string reason, string message) =>
        new() { StoreId = storeId, Time = time, Type = "Warning", Reason = reason, Message = message };
}

/// <summary>
/// A create request remembered by (owner, Idempotency-Key): a retry with the same body replays
/// <see cref="ResponseJson"/>; a retry with another body is refused.
/// </summary>
public sealed class IdempotencyRecord
{
    public Guid OwnerId { get; set; }
    public required string Key { get; set; }
    public required string RequestHash { get; set; }
    public Guid StoreId { get; set; }
    public required string ResponseJson { get; set; }
    public DateTime CreatedAt { get; set; }
}
