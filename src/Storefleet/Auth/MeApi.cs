using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Data;
using Storefleet.Stores;

namespace Storefleet.Auth;

public sealed record MeResponse(Guid Id, string Email, string Role, DateTime CreatedAt, QuotaResponse Quota);

public static class MeApi
{
    public static RouteHandlerBuilder MapMe(this IEndpointRouteBuilder app) =>
        app.MapGet("/me", GetMe).WithTags("Account").RequireAuthorization().WithSummary("Your account and store quota");

    private static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> GetMe(ClaimsPrincipal principal, StorefleetDb db, IOptions<StoreOptions> options)
    {
        var id = principal.UserId();
        var me = await db.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new { u.Id, u.Email, u.Role, u.CreatedAt, u.StoreQuota, Used = db.Stores.Count(s => s.OwnerId == id && s.DeletionRequestedAt == null) })
            .SingleOrDefaultAsync();
        if (me is null)
            return TypedResults.Problem(title: "Account not found", detail: "The account in your access token no longer exists. Sign in again.", statusCode: 401);
        return TypedResults.Ok(new MeResponse(me.Id, me.Email, me.Role, me.CreatedAt, new QuotaResponse(me.Used, me.StoreQuota ?? options.Value.DefaultQuota)));
    }
}
