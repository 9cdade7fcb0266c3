using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Storefleet.Audit;
using Storefleet.Auth;
using Storefleet.Data;
using Storefleet.RateLimiting;
using Storefleet.Stores;

namespace Storefleet.Admin;

public static class AdminApi
{
    public static RouteGroupBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin").WithTags("Admin").RequireAuthorization(AuthSetup.AdminPolicy).RequirePerUserRateLimit();
        group.MapGet("/stores", ListAllStores).WithSummary("All tenants' stores, newest first");
        group.MapGet("/audit", ListAudit).WithSummary("The audit log, newest first");
        group.MapPost("/stores/{id:guid}/retry", RetryAnyStore)
            .WithSummary("Retry any tenant's store in Error (audited as the administrator)");
        return group;
    }

    private static async Task<Results<Ok<Page<AdminStoreResponse>>, ValidationProblem>> ListAllStores(
        StorefleetDb db, int? limit, string? cursor, string? status)
    {
        var page = await StorePaging.PageAsync(db, ownerId: null, limit, cursor, status);
        if (page.Errors is { } errors) return TypedResults.ValidationProblem(errors, title: "The list query is not valid");
        var ownerIds = page.Items.Select(s => s.OwnerId).Distinct().ToList();
        var owners = await db.Users.AsNoTracking().Where(u => ownerIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email);
        return TypedResults.Ok(new Page<AdminStoreResponse>(
            [.. page.Items.Select(s => new AdminStoreResponse(StoreResponse.From(s), s.OwnerId, owners.GetValueOrDefault(s.OwnerId, "")))],
            page.NextCursor));
    }

    private static Task<Results<Accepted<StoreResponse>, ProblemHttpResult>> RetryAnyStore(
        Guid id, [AsParameters] StoresApi.SpecChange change) =>
        StoresApi.Retry(id, ownerId: null, change);

    private static async Task<Results<Ok<Page<AuditEntry>>, ValidationProblem>> ListAudit(
        StorefleetDb db, int? limit, string? cursor, string? action, string? targetId, string? actor)
    {
        var take = limit ?? 50;
        var errors = new Dictionary<string, string[]>();
        if (take is < 1 or > 200) errors["limit"] = ["limit must be between 1 and 200."];
        long before = long.MaxValue;
        if (cursor is not null && (!long.TryParse(cursor, out before) || before < 1)) errors["cursor"] = ["cursor is not one this API returned; start again without it."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The audit query is not valid");

        var query = db.AuditLog.AsNoTracking().Where(a => a.Id < before);
        if (!string.IsNullOrEmpty(action)) query = query.Where(a => a.Action == action);
        if (!string.IsNullOrEmpty(targetId)) query = query.Where(a => a.TargetId == targetId);
        if (!string.IsNullOrEmpty(actor)) query = query.Where(a => a.ActorEmail == CredentialRules.NormalizeEmail(actor));
        var items = await query.OrderByDescending(a => a.Id).Take(take + 1).ToListAsync();
        string? next = null;
        if (items.Count > take)
        {
            items.RemoveAt(take);
            next = items[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return TypedResults.Ok(new Page<AuditEntry>(items, next));
    }
}
