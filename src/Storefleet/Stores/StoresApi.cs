using System.Linq.Expressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Storefleet.Api;
using Storefleet.Audit;
using Storefleet.Auth;
using Storefleet.Data;
using Storefleet.Notifications;
using Storefleet.Provisioning;
using Storefleet.RateLimiting;
using Storefleet.Secrets;

namespace Storefleet.Stores;

public static class StoresApi
{
    public static WebApplicationBuilder AddStores(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<StoreOptions>(builder.Configuration.GetSection("Stores"));
        builder.Services.AddScoped<StoreCreation>();
        return builder;
    }

    public static RouteGroupBuilder MapStores(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/stores")
            .WithTags("Stores")
            .RequireAuthorization()
            .RequirePerUserRateLimit();

        group.MapPost("/", CreateStore)
            .WithSummary("Create a store")
            .WithDescription("Returns 202 with the store in Pending. Send an Idempotency-Key header to make retries safe.");
        group.MapGet("/", ListStores).WithSummary("List your stores, newest first");
        group.MapGet("/{id:guid}", GetStore).WithSummary("Get one of your stores");
        group.MapDelete("/{id:guid}", DeleteStore).WithSummary("Delete a store and everything it owns");
        group.MapGet("/{id:guid}/events", GetEvents).WithSummary("The store's timeline, oldest first");
        group.MapPost("/{id:guid}/retry", RetryStore)
            .WithSummary("Provision a store in Error again")
            .WithDescription("Starts a fresh provisioning attempt with a new deadline. Only for stores in Error.");
        group.MapGet("/{id:guid}/credentials", GetCredentials)
            .WithSummary("The store's WordPress admin login (audited)")
            .RequireCredentialRevealLimit();
        group.MapGet("/events", StoreEventStream.Stream)
            .WithSummary("Live changes of your stores (server-sent events)")
            .WithDescription("`event: store` with the store as JSON whenever one of your stores changes; `event: deleted` with `{\"id\"}` when one is gone; `: ping` every 15 s; `event: session-ended` before it closes because the session ended. At most RateLimits:EventStreamsPerUser (default 5) open at once; another gets 429.");
        return group;
    }

    private static Task<Results<Accepted<StoreResponse>, ValidationProblem, ProblemHttpResult>> CreateStore(
        CreateStoreRequest body, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CurrentUser caller, StoreCreation creation) =>
        creation.CreateAsync(caller, body, idempotencyKey);

    private static async Task<Results<JsonOk<Page<StoreResponse>>, ValidationProblem>> ListStores(
        CurrentUser caller, StorefleetDb db, int? limit, string? cursor, string? status)
    {
        var page = await StorePaging.PageAsync(db, caller.Id, limit, cursor, status);
        return page.Errors is { } errors
            ? TypedResults.ValidationProblem(errors, title: "The list query is not valid")
            : new JsonOk<Page<StoreResponse>>(new([.. page.Items.Select(StoreResponse.From)], page.NextCursor), ApiJsonContext.Default.PageStoreResponse);
    }

    // The hottest read of the API (dashboards poll it): compiled once instead of translated per request.
    private static readonly PerProvider<Func<StorefleetDb, Guid, Guid, Task<Store?>>> OwnStoreQuery = new(() => EF.CompileAsyncQuery(
        (StorefleetDb context, Guid storeId, Guid owner) =>
            context.Stores.Where(s => s.Id == storeId && s.OwnerId == owner).Select(StoreQueries.ViewColumns).FirstOrDefault()));

    private static Task<Store?> OwnStore(StorefleetDb db, Guid id, Guid ownerId) => OwnStoreQuery.For(db)(db, id, ownerId);

    private static async Task<Results<JsonOk<StoreResponse>, ProblemHttpResult>> GetStore(Guid id, CurrentUser caller, StorefleetDb db)
    {
        var store = await OwnStore(db, id, caller.Id);
        return store is null ? NotFound(id) : new JsonOk<StoreResponse>(StoreResponse.From(store), ApiJsonContext.Default.StoreResponse);
    }

    /// <summary>What a handler that changes a store's spec needs, bound as one parameter.</summary>
    internal readonly record struct SpecChange(StorefleetDb Db, AuditLog Audit, TimeProvider Clock, IStoreNotifier Notifier);

    private static async Task<Results<Accepted<StoreResponse>, ProblemHttpResult>> DeleteStore(Guid id, CurrentUser caller, [AsParameters] SpecChange change)
    {
        var now = change.Clock.GetUtcNow().UtcDateTime;
        // Only the first request flips the store to Deleting; repeating it is a no-op that still answers 202.
        var (store, _) = await ChangeSpecAsync(change, id, caller.Id,
            when: s => s.DeletionRequestedAt == null,
            set: s => s
                .SetProperty(x => x.DeletionRequestedAt, now)
                .SetProperty(x => x.Phase, StorePhase.Deleting)
                .SetProperty(x => x.DueAt, now)
                .SetProperty(x => x.UpdatedAt, now),
            StoreEvent.Normal(id, now, "DeletionRequested", "Deletion requested; the store and everything it owns will be removed."),
            "store.delete");
        return store is null ? NotFound(id) : TypedResults.Accepted($"/stores/{id}", StoreResponse.From(store));
    }

    /// <summary>
    /// Changes the spec of one of the caller's stores when <paramref name="when"/> holds: the update (with a new
    /// generation), its event and audit entry commit together; then the workers are woken and live streams told.
    /// Returns the store as it is now (null if the caller has no such store) and whether it changed.
    /// </summary>
    private static async Task<(Store? Store, bool Changed)> ChangeSpecAsync(
        SpecChange change, Guid id, Guid? ownerId,
        Expression<Func<Store, bool>> when, Action<UpdateSettersBuilder<Store>> set, StoreEvent happened, string action)
    {
        var (db, audit, _, notifier) = change;
        await using var tx = await db.Database.BeginTransactionAsync();
        var mine = ownerId is { } owner ? db.Stores.Where(s => s.Id == id && s.OwnerId == owner) : db.Stores.Where(s => s.Id == id);
        var changed = await mine.Where(when)
            .ExecuteUpdateAsync(s =>
            {
                s.SetProperty(x => x.Generation, x => x.Generation + 1);
                set(s);
            }) == 1;
        var store = await mine.AsNoTracking().SingleOrDefaultAsync();
        if (store is null || !changed) return (store, false);
        db.StoreEvents.Add(happened);
        audit.Record(db, action, "success", target: (id.ToString(), store.Name));
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        notifier.WakeWorkers();
        notifier.StoreChanged(store.OwnerId, id);
        return (store, true);
    }

    private static async Task<Results<Ok<Page<StoreEventResponse>>, ProblemHttpResult>> GetEvents(
        Guid id, CurrentUser caller, StorefleetDb db, long? after)
    {
        var ownerId = caller.Id;
        if (!await db.Stores.AnyAsync(s => s.Id == id && s.OwnerId == ownerId)) return NotFound(id);
        var since = after ?? 0;
        var events = await db.StoreEvents.AsNoTracking()
            .Where(e => e.StoreId == id && e.Id > since)
            .OrderBy(e => e.Id)
            .Take(500)
            .Select(e => new StoreEventResponse(e.Id, e.Time, e.Type, e.Reason, e.Message))
            .ToListAsync();
        return TypedResults.Ok(new Page<StoreEventResponse>(events, null));
    }

    private static Task<Results<Accepted<StoreResponse>, ProblemHttpResult>> RetryStore(Guid id, CurrentUser caller, [AsParameters] SpecChange change) =>
        Retry(id, caller.Id, change);

    /// <summary>Retries a store in Error: the caller's own (<paramref name="ownerId"/>), or any store for an administrator (null).</summary>
    internal static async Task<Results<Accepted<StoreResponse>, ProblemHttpResult>> Retry(
        Guid id, Guid? ownerId, SpecChange change)
    {
        var now = change.Clock.GetUtcNow().UtcDateTime;
        // A new generation: the engine re-applies the release (which re-runs the setup job) under a fresh deadline.
        var (store, retried) = await ChangeSpecAsync(change, id, ownerId,
            when: s => s.Phase == StorePhase.Error && s.DeletionRequestedAt == null,
            set: s => s
                .SetProperty(x => x.Phase, StorePhase.Pending)
                .SetProperty(x => x.ProvisioningDeadline, (DateTime?)null)
                .SetProperty(x => x.Attempt, 0)
                .SetProperty(x => x.DueAt, now)
                .SetProperty(x => x.UpdatedAt, now),
            StoreEvent.Normal(id, now, "RetryRequested", "Retry requested; provisioning starts again with a fresh deadline."),
            "store.retry");
        if (store is null) return NotFound(id);
        if (!retried)
            return TypedResults.Problem(
                title: "Nothing to retry",
                detail: $"Only a store in Error can be retried; this one is {store.Phase}.",
                statusCode: StatusCodes.Status409Conflict);
        return TypedResults.Accepted($"/stores/{id}", StoreResponse.From(store));
    }

    private static async Task<Results<Ok<CredentialsResponse>, ProblemHttpResult>> GetCredentials(
        Guid id, CurrentUser caller, StorefleetDb db, AuditLog audit, CredentialProtector protector, HttpContext http)
    {
        var ownerId = caller.Id;
        var store = await db.Stores.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.OwnerId == ownerId);
        if (store is null) return NotFound(id);
        if (store.AdminPasswordProtected is null || store.AdminUser is null) return NoCredentials(store);
        var password = protector.Unprotect(store.Id, store.AdminPasswordProtected);
        audit.Record(db, "store.credentials.read", "success", target: (id.ToString(), store.Name));
        await db.SaveChangesAsync();
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new CredentialsResponse(store.AdminUser, password, store.AdminUrl));
    }

    /// <summary>
    /// Why a store has no admin login to hand out, as it is: still being made (wait), being deleted, or failed before
    /// it was made (the store's reason and what to do; "wait" would be untrue for a store that stopped trying).
    /// </summary>
    private static ProblemHttpResult NoCredentials(Store store)
    {
        if (store.DeletionRequestedAt is not null)
            return TypedResults.Problem(title: "The store is being deleted", detail: "A store being deleted has no admin login to hand out.", statusCode: StatusCodes.Status409Conflict);
        if (store.Phase != StorePhase.Error)
            return TypedResults.Problem(
                title: "Credentials not ready yet",
                detail: "The admin password is generated while the store is provisioned. Try again in a minute.",
                statusCode: StatusCodes.Status409Conflict);
        var ready = store.Conditions.ReadyCondition();
        var reason = ready?.Reason ?? "Error";
        // DueAt null: the engine gave up (NamespaceConflict, ProvisioningTimedOut) and does nothing until the tenant acts.
        var next = store.DueAt is null
            ? $"Nothing more happens on its own: retry it (POST /stores/{store.Id}/retry) once the cause is fixed, or delete it and create it again."
            : "The platform keeps retrying; the admin login is made once provisioning gets past this.";
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "The store failed and has no admin login",
            Detail = $"The store is in Error ({reason}): {ready?.Message.TrimEnd('.') ?? "see its events"}. {next}",
            Type = "https://storefleet.dev/problems/store-failed",
            Extensions = { ["reason"] = reason },
        });
    }

    // Another tenant's store is indistinguishable from a missing one: never 403, which would confirm it exists.
    internal static ProblemHttpResult NotFound(Guid id) => TypedResults.Problem(
        title: "Store not found",
        detail: $"There is no store {id} in your account. List your stores with GET /stores.",
        statusCode: StatusCodes.Status404NotFound);

}

public sealed record QuotaResponse(int Used, int Limit);

public sealed record CredentialsResponse(string Username, string Password, string? AdminUrl);

/// <summary>Keyset pagination shared by the tenant and admin listings.</summary>
public static class StorePaging
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public sealed record Result(List<Store> Items, string? NextCursor, Dictionary<string, string[]>? Errors);

    /// <param name="ownerId">Only this tenant's stores; null for all (the admin listing).</param>
    public static async Task<Result> PageAsync(StorefleetDb db, Guid? ownerId, int? limit, string? cursor, string? status)
    {
        var errors = new Dictionary<string, string[]>();
        var take = limit ?? DefaultLimit;
        if (take is < 1 or > MaxLimit) errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        StoreCursor? after = null;
        if (cursor is not null)
        {
            if (StoreCursor.TryDecode(cursor, out var decoded)) after = decoded;
            else errors["cursor"] = ["cursor is not one this API returned; start again without it."];
        }
        StorePhase? phase = null;
        if (status is not null)
        {
            if (Enum.TryParse(status, ignoreCase: true, out StorePhase parsed) && Enum.IsDefined(parsed) && !int.TryParse(status, out _)) phase = parsed;
            else errors["status"] = [$"status must be one of: {string.Join(", ", Enum.GetNames<StorePhase>())}."];
        }
        if (errors.Count > 0) return new Result([], null, errors);

        var items = new List<Store>(take + 1);
        // one more than asked: whether there is a next page
        await foreach (var store in PageQuery.For(db)(db, ownerId, phase, after?.CreatedAt, after?.Id ?? Guid.Empty, take + 1))
            items.Add(store);
        string? next = null;
        if (items.Count > take)
        {
            items.RemoveAt(take);
            next = new StoreCursor(items[^1].CreatedAt, items[^1].Id).Encode();
        }
        return new Result(items, next, null);
    }

    // Dashboards poll the list, so its query is compiled once instead of translated per request (translating
    // means walking and hashing the expression tree to find it in EF's cache: ~5 % of a page's CPU). The filters
    // that may be absent are null parameters: EF makes SQL for each pattern of nulls, with the absent ones left
    // out, so PostgreSQL sees the same statements as before.
    private static readonly PerProvider<Func<StorefleetDb, Guid?, StorePhase?, DateTime?, Guid, int, IAsyncEnumerable<Store>>> PageQuery = new(() => EF.CompileAsyncQuery(
        (StorefleetDb context, Guid? owner, StorePhase? phase, DateTime? afterCreatedAt, Guid afterId, int take) =>
            context.Stores
                .Where(s => owner == null || s.OwnerId == owner)
                .Where(s => phase == null || s.Phase == phase)
                .Where(s => afterCreatedAt == null || s.CreatedAt < afterCreatedAt || (s.CreatedAt == afterCreatedAt && s.Id.CompareTo(afterId) < 0))
                .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
                .Take(take)
                .Select(StoreQueries.ViewColumns)));
}
