using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Audit;
using Storefleet.Auth;
using Storefleet.Backups;
using Storefleet.Data;
using Storefleet.Notifications;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Storefleet.Stores;

/// <summary>
/// POST /stores, behind the handler: validate, replay an Idempotency-Key, enforce the quota, pick a slug and
/// insert the store with its event, idempotency record and audit entry in one transaction, then wake the workers.
/// </summary>
public sealed class StoreCreation(
    StorefleetDb db, IOptions<StoreOptions> options, IOptions<JsonOptions> json, AuditLog audit, TimeProvider clock, IStoreNotifier notifier,
    IBackupStorage backupStorage, IOptions<BackupOptions> backupOptions)
{
    private const int SlugAttempts = 5;

    public async Task<Results<Accepted<StoreResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CurrentUser caller, CreateStoreRequest body, string? idempotencyKey)
    {
        if (Validate(body, idempotencyKey, out var engine) is { } invalid) return invalid;
        var name = StoreRules.NormalizeName(body.Name!);
        // A clone: the new store is provisioned, then the backup is restored into it at its own address.
        StoreBackup? cloneOf = null;
        if (body.CloneFrom is { } cloneFrom)
        {
            var (backup, problem) = await BackupsApi.ResolveCloneAsync(db, backupStorage, backupOptions, cloneFrom, caller.Id, clock.GetUtcNow().UtcDateTime);
            if (problem is not null) return problem;
            cloneOf = backup;
        }
        var requestHash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(cloneOf is null ? $"{name}\n{engine}" : $"{name}\n{engine}\n{cloneOf.Id}")));

        // A slug taken by a concurrent create of another tenant surfaces as a unique violation; try again with a fresh suffix.
        for (var attempt = 1; ; attempt++)
        {
            await using var tx = await db.Database.BeginTransactionAsync();

            // The lock that makes the quota atomic: this UPDATE holds the owner's row lock (PostgreSQL) or
            // the database write lock (SQLite) until commit, so this owner's creates run one at a time
            // through count-then-insert below. Other owners are not blocked on PostgreSQL.
            var owners = await db.Users.Where(u => u.Id == caller.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.StoresCreated, x => x.StoresCreated + 1));
            if (owners == 0) return CurrentUser.Gone();
            var owner = await db.Users.AsNoTracking().SingleAsync(u => u.Id == caller.Id);

            if (idempotencyKey is not null
                && await db.IdempotencyRecords.AsNoTracking().SingleOrDefaultAsync(r => r.OwnerId == caller.Id && r.Key == idempotencyKey) is { } previous)
            {
                await tx.RollbackAsync();
                return Replay(previous, requestHash);
            }

            var quota = owner.StoreQuota ?? options.Value.DefaultQuota;
            var used = await db.Stores.Active().CountAsync(s => s.OwnerId == caller.Id);
            if (used >= quota)
            {
                await tx.RollbackAsync();
                audit.Record(db, "store.create", "denied", actor: owner, target: (null, name), detail: $"quota reached ({used}/{quota})");
                await db.SaveChangesAsync();
                return QuotaReached(used, quota);
            }

            var response = await AddAsync(owner, name, engine, idempotencyKey, requestHash, tryBaseSlug: attempt == 1, cloneOf);
            try
            {
                await db.SaveChangesAsync();
                await tx.CommitAsync();
            }
            catch (DbUpdateException e) when (e.IsUniqueViolation() && attempt < SlugAttempts)
            {
                db.ChangeTracker.Clear();
                continue;
            }
            notifier.WakeWorkers();
            notifier.StoreChanged(caller.Id, response.Id);
            return TypedResults.Accepted($"/stores/{response.Id}", response);
        }
    }

    private ValidationProblem? Validate(CreateStoreRequest body, string? idempotencyKey, out string engine)
    {
        var errors = new Dictionary<string, string[]>();
        if (StoreRules.NameProblems(body.Name) is { Length: > 0 } nameProblems) errors["name"] = nameProblems;
        engine = body.Engine ?? "woocommerce";
        if (!options.Value.Engines.Contains(engine))
            errors["engine"] = [$"Engine must be one of: {string.Join(", ", options.Value.Engines)}."];
        if (idempotencyKey is not null && !StoreRules.IsValidIdempotencyKey(idempotencyKey))
            errors["Idempotency-Key"] = ["The Idempotency-Key header must be 1 to 200 visible ASCII characters, for example a UUID."];
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors, title: "The store request is not valid") : null;
    }

    /// <summary>The same key again: the first answer for the same request, a 422 for a different one.</summary>
    private Results<Accepted<StoreResponse>, ValidationProblem, ProblemHttpResult> Replay(IdempotencyRecord previous, string requestHash)
    {
        if (previous.RequestHash != requestHash)
            return TypedResults.Problem(
                title: "Idempotency-Key reused with a different request",
                detail: "This Idempotency-Key was already used to create another store with different details. Use a new key for a new store.",
                statusCode: StatusCodes.Status422UnprocessableEntity);
        var replay = JsonSerializer.Deserialize<StoreResponse>(previous.ResponseJson, json.Value.SerializerOptions)!;
        return TypedResults.Accepted($"/stores/{replay.Id}", replay);
    }

    private static ProblemHttpResult QuotaReached(int used, int quota) => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status409Conflict,
        Title = "Store quota reached",
        Detail = $"You already have {used} of {quota} stores. Delete a store you no longer need, or ask an operator to raise your quota.",
        Type = "https://storefleet.dev/problems/quota-exceeded",
        Extensions = { ["quota"] = new QuotaResponse(used, quota) },
    });

    /// <summary>Adds the store, its Created event, its idempotency record and the audit entry to the unit of work.</summary>
    private async Task<StoreResponse> AddAsync(User owner, string name, string engine, string? idempotencyKey, string requestHash, bool tryBaseSlug, StoreBackup? cloneOf)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // Neither a live store's slug nor one reserved after a deletion (SlugReservations).
        var slug = await SlugReservations.PickAsync(db, StoreRules.BaseSlug(name), tryBase: tryBaseSlug, now);
        var store = new Store
        {
            Id = Guid.CreateVersion7(),
            OwnerId = owner.Id,
            Name = name,
            Slug = slug,
            Engine = engine,
            ChartVersion = options.Value.ChartVersion,
            CreatedAt = now,
            UpdatedAt = now,
            Phase = StorePhase.Pending,
            DueAt = now,
            RestoreBackupId = cloneOf?.Id,
        };
        var response = StoreResponse.From(store);
        db.Stores.Add(store);
        db.StoreEvents.Add(StoreEvent.Normal(store.Id, now, "Created", $"Store \"{name}\" requested with address {slug}; waiting for a provisioning worker."));
        if (idempotencyKey is not null)
            db.IdempotencyRecords.Add(new IdempotencyRecord
            {
                OwnerId = owner.Id, Key = idempotencyKey, RequestHash = requestHash, StoreId = store.Id, CreatedAt = now,
                ResponseJson = JsonSerializer.Serialize(response, json.Value.SerializerOptions),
            });
        audit.Record(db, "store.create", "success", actor: owner, target: (store.Id.ToString(), name));
        if (cloneOf is not null)
        {
            db.StoreEvents.Add(StoreEvent.Normal(store.Id, now, "CloneRequested", $"A copy of store {cloneOf.StoreId} from its backup of {cloneOf.CreatedAt:yyyy-MM-dd HH:mm} UTC; it is restored once the new store is up."));
            audit.Record(db, "store.clone", "success", actor: owner, target: (store.Id.ToString(), name), detail: $"from store {cloneOf.StoreId}, backup {cloneOf.Id}");
        }
        return response;
    }
}
