using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Audit;
using Storefleet.Auth;
using Storefleet.Data;
using Storefleet.Notifications;
using Storefleet.Provisioning;
using Storefleet.RateLimiting;
using Storefleet.Stores;

namespace Storefleet.Backups;

public sealed record BackupResponse(Guid Id, BackupState State, DateTime CreatedAt, DateTime? CompletedAt, long? SizeBytes, string Kind, string Message)
{
    public static BackupResponse From(StoreBackup b) => new(b.Id, b.State, b.CreatedAt, b.CompletedAt, b.SizeBytes, b.Kind.Wire(), b.Message);
}

public sealed record BackupList(IReadOnlyList<BackupResponse> Items);

public sealed record RestoreRequest(Guid? BackupId);

/// <summary><c>POST /stores</c> with <c>cloneFrom</c>: a new store from a backup of another of the caller's stores (the latest when no backup id).</summary>
public sealed record CloneFrom(Guid? StoreId, Guid? BackupId);

/// <summary>
/// Backups, restores and clones of a tenant's own stores. The API only writes desired state (a backup row, a
/// restore request on the store) and wakes the workers; the engine runs the Jobs (<see cref="BackupSteps"/>).
/// Every action is audited, and the audit log is also what the per-user daily limit counts.
/// </summary>
public static class BackupsApi
{
    /// <summary>The audit actions the per-user daily limit counts.</summary>
    private static readonly string[] LimitedActions = ["store.backup", "store.restore", "store.clone"];

    public static RouteGroupBuilder MapBackups(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/stores").WithTags("Backups").RequireAuthorization().RequirePerUserRateLimit();
        group.MapPost("/{id:guid}/backups", StartBackup)
            .WithSummary("Back up a store now")
            .WithDescription("Returns 202 with the backup in Pending; the database dump and wp-content go to the platform's object storage as one checksummed object.");
        group.MapGet("/{id:guid}/backups", ListBackups)
            .WithSummary("The store's backups, newest first (also for a deleted store, during the grace period)");
        group.MapPost("/{id:guid}/restore", Restore)
            .WithSummary("Restore a store in place from one of its backups")
            .WithDescription("Returns 202; the store goes through Restoring and is Ready again once verified like a new store. Its current data is replaced.");
        return group;
    }

    private static async Task<Results<Accepted<BackupResponse>, ProblemHttpResult>> StartBackup(
        Guid id, ClaimsPrincipal principal, StorefleetDb db, IBackupStorage storage, IOptions<BackupOptions> options,
        AuditLog audit, TimeProvider clock, IStoreNotifier notifier)
    {
        var ownerId = principal.UserId();
        var store = await db.Stores.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.OwnerId == ownerId);
        if (store is null) return StoresApi.NotFound(id);
        if (NotConfigured(storage) is { } off) return off;
        if (!Running(store))
            return Conflict("The store cannot be backed up now", $"Only a running store (Ready, or Error while a Ready store is repaired) can be backed up; this one is {Describe(store)}.");
        var now = clock.GetUtcNow().UtcDateTime;
        if (await OverLimitAsync(db, ownerId, options.Value, now) is { } limited) return limited;
        var active = await db.StoreBackups.AsNoTracking().Where(b => b.StoreId == id).Where(StoreBackup.IsActive).FirstOrDefaultAsync();
        if (active is not null)
            return Conflict("A backup is already under way", $"Backup {active.Id} ({active.Kind.Wire()}) of this store is {active.State}; wait for it to finish.");

        await using var tx = await db.Database.BeginTransactionAsync();
        var backup = await BackupSteps.QueueAsync(db, store, BackupKind.Manual, now, storage.Prefix, default);
        db.StoreEvents.Add(StoreEvent.Normal(id, now, "BackupRequested", $"Backup {backup.Id} requested."));
        audit.Record(db, "store.backup", "success", target: (id.ToString(), store.Name), detail: $"backup {backup.Id}");
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        notifier.WakeWorkers();
        notifier.StoreChanged(store.OwnerId, store.Id);
        return TypedResults.Accepted($"/stores/{id}/backups", BackupResponse.From(backup));
    }

    private static async Task<Results<Ok<BackupList>, ProblemHttpResult>> ListBackups(Guid id, ClaimsPrincipal principal, StorefleetDb db)
    {
        var ownerId = principal.UserId();
        var backups = await db.StoreBackups.AsNoTracking()
            .Where(b => b.StoreId == id && b.OwnerId == ownerId)
            .OrderByDescending(b => b.CreatedAt).Take(200).ToListAsync();
        // A deleted store's backups stay listable for the grace period; otherwise an unknown store is 404.
        if (backups.Count == 0 && !await db.Stores.AnyAsync(s => s.Id == id && s.OwnerId == ownerId)) return StoresApi.NotFound(id);
        return TypedResults.Ok(new BackupList([.. backups.Select(BackupResponse.From)]));
    }

    private static async Task<Results<Accepted<StoreResponse>, ValidationProblem, ProblemHttpResult>> Restore(
        Guid id, RestoreRequest body, ClaimsPrincipal principal, StorefleetDb db, IBackupStorage storage, IOptions<BackupOptions> options,
        AuditLog audit, TimeProvider clock, IStoreNotifier notifier)
    {
        if (body.BackupId is not { } backupId || backupId == Guid.Empty)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["backupId"] = ["backupId is required: the id of a completed backup from GET /stores/{id}/backups."] },
                title: "The restore request is not valid");
        var ownerId = principal.UserId();
        var store = await db.Stores.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.OwnerId == ownerId);
        if (store is null) return StoresApi.NotFound(id);
        if (NotConfigured(storage) is { } off) return off;
        var backup = await db.StoreBackups.AsNoTracking().SingleOrDefaultAsync(b => b.Id == backupId && b.StoreId == id && b.OwnerId == ownerId);
        if (backup is null) return BackupNotFound($"There is no backup {backupId} of store {id}. List them with GET /stores/{id}/backups.");
        if (backup.State != BackupState.Completed)
            return Conflict("The backup cannot be restored", $"Backup {backupId} is {backup.State}; only a completed backup can be restored.");
        // The restore Job would replace the data a backup Job is copying: that backup would hold a half-restored store.
        if (await db.StoreBackups.AsNoTracking().Where(b => b.StoreId == id).Where(StoreBackup.IsActive).FirstOrDefaultAsync() is { } busy)
            return Conflict("The store cannot be restored now", $"Backup {busy.Id} ({busy.Kind.Wire()}) of this store is {busy.State}; restore once it has finished.");
        var now = clock.GetUtcNow().UtcDateTime;
        if (await OverLimitAsync(db, ownerId, options.Value, now) is { } limited) return limited;

        await using var tx = await db.Database.BeginTransactionAsync();
        // A new generation (fences any worker's stale write) and the request, only from a state that can take it, and
        // only if no backup was queued since the check above (the marker is unchanged).
        var changed = await db.Stores
            .Where(s => s.Id == id && s.OwnerId == ownerId && s.DeletionRequestedAt == null && s.RestoreBackupId == null && s.PendingBackupId == store.PendingBackupId
                        && (s.Phase == StorePhase.Ready || (s.Phase == StorePhase.Error && s.ReadyAt != null && s.DueAt != null)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Generation, x => x.Generation + 1)
                .SetProperty(x => x.RestoreBackupId, backupId)
                .SetProperty(x => x.RestoredAt, (DateTime?)null)
                .SetProperty(x => x.Phase, StorePhase.Restoring)
                .SetProperty(x => x.Attempt, 0)
                .SetProperty(x => x.DueAt, now)
                .SetProperty(x => x.UpdatedAt, now)) == 1;
        if (!changed)
            return Conflict("The store cannot be restored now",
                store.RestoreBackupId is not null ? "A restore of this store is already under way."
                : Running(store) ? "The store changed while the restore was requested (a backup may have started). Try again."
                : $"Only a running store (Ready, or Error while a Ready store is repaired) can be restored; this one is {Describe(store)}.");
        db.StoreEvents.Add(StoreEvent.Normal(id, now, "RestoreRequested", $"Restore of the {backup.Kind.Wire()} backup of {backup.CreatedAt:yyyy-MM-dd HH:mm} UTC requested; the store's current data will be replaced."));
        audit.Record(db, "store.restore", "success", target: (id.ToString(), store.Name), detail: $"backup {backupId}");
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        notifier.WakeWorkers();
        notifier.StoreChanged(ownerId, id);
        var updated = await db.Stores.AsNoTracking().SingleAsync(s => s.Id == id);
        return TypedResults.Accepted($"/stores/{id}", StoreResponse.From(updated));
    }

    /// <summary>
    /// For <c>POST /stores</c> with <c>cloneFrom</c>: the caller's completed backup to copy (the latest of the store when
    /// no backup id is given), or the problem to answer. The source store may be deleted (its backups are kept for a grace period).
    /// </summary>
    public static async Task<(StoreBackup? Backup, ProblemHttpResult? Problem)> ResolveCloneAsync(
        StorefleetDb db, IBackupStorage storage, IOptions<BackupOptions> options, CloneFrom clone, Guid ownerId, DateTime now)
    {
        if (NotConfigured(storage) is { } off) return (null, off);
        if (clone.StoreId is not { } storeId || storeId == Guid.Empty)
            return (null, TypedResults.Problem(title: "The clone request is not valid", detail: "cloneFrom.storeId is required: the store whose backup to copy.", statusCode: StatusCodes.Status400BadRequest));
        var backups = db.StoreBackups.AsNoTracking().Where(b => b.StoreId == storeId && b.OwnerId == ownerId && b.State == BackupState.Completed);
        var backup = clone.BackupId is { } backupId
            ? await backups.SingleOrDefaultAsync(b => b.Id == backupId)
            : await backups.OrderByDescending(b => b.CompletedAt).FirstOrDefaultAsync();
        if (backup is null)
            return (null, BackupNotFound(clone.BackupId is { } b
                ? $"There is no completed backup {b} of store {storeId} in your account."
                : $"Store {storeId} has no completed backup in your account. Back it up first (POST /stores/{storeId}/backups)."));
        if (await OverLimitAsync(db, ownerId, options.Value, now) is { } limited) return (null, limited);
        return (backup, null);
    }

    /// <summary>
    /// Ready, or Degraded (was Ready, in Error while the engine repairs it): the engine still looks at it. Not a store it
    /// gave up on (Error with no next look, e.g. NamespaceConflict): a backup or restore of it would wait for ever.
    /// </summary>
    private static bool Running(Store store) =>
        store.DeletionRequestedAt is null && (store.Phase == StorePhase.Ready || (store.Phase == StorePhase.Error && store.ReadyAt is not null && store.DueAt is not null));

    private static string Describe(Store store) =>
        store.Phase == StorePhase.Error && store.DueAt is null ? "in Error and no longer retried (see its status; retry it first)" : store.Phase.ToString();

    private static ProblemHttpResult? NotConfigured(IBackupStorage storage) => storage.Enabled ? null : TypedResults.Problem(
        title: "Backups are not configured",
        detail: "This platform has no object storage for backups. An operator sets backups.objectStore in the platform chart (docs/operations.md, Backups).",
        statusCode: StatusCodes.Status409Conflict, type: "https://storefleet.dev/problems/backups-not-configured");

    /// <summary>Backups, restores and clones a user may start per day, counted from the audit log (every one is audited).</summary>
    private static async Task<ProblemHttpResult?> OverLimitAsync(StorefleetDb db, Guid ownerId, BackupOptions options, DateTime now)
    {
        var since = now.AddDays(-1);
        var used = await db.AuditLog.CountAsync(a => a.ActorId == ownerId && a.Time > since && a.Outcome == "success" && LimitedActions.Contains(a.Action));
        if (used < options.PerUserPerDay) return null;
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Daily backup limit reached",
            Detail = $"You started {used} backups, restores and clones in the last 24 hours; the limit is {options.PerUserPerDay}. Scheduled backups continue meanwhile.",
            Type = "https://storefleet.dev/problems/backup-limit",
        });
    }

    private static ProblemHttpResult Conflict(string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status409Conflict);

    private static ProblemHttpResult BackupNotFound(string detail) =>
        TypedResults.Problem(title: "Backup not found", detail: detail, statusCode: StatusCodes.Status404NotFound);
}
