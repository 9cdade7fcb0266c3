using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Audit;
using Storefleet.Data;
using Storefleet.RateLimiting;
using Storefleet.Stores;
using StoreOptions = Storefleet.Stores.StoreOptions;

namespace Storefleet.Auth;

public sealed record MeResponse(Guid Id, string Email, string Role, DateTime CreatedAt, QuotaResponse Quota);
public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public static class MeApi
{
    public static RouteGroupBuilder MapMe(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/me").WithTags("Account").RequireAuthorization().RequirePerUserRateLimit();
        group.MapGet("", GetMe).WithSummary("Your account and store quota");
        group.MapPost("/password", ChangePassword)
            .WithSummary("Change your password; ends every session")
            .WithDescription("204 on success. Every access token of the account stops working, this one included: sign in again with the new password.");
        group.MapPost("/sessions/revoke", RevokeSessions)
            .WithSummary("Sign out everywhere")
            .WithDescription("204. Every access token of the account stops working, this one included, and open event streams close.");
        return group;
    }

    private static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> GetMe(ClaimsPrincipal principal, StorefleetDb db, IOptions<StoreOptions> options)
    {
        var id = principal.UserId();
        var me = await db.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new { u.Id, u.Email, u.Role, u.CreatedAt, u.StoreQuota, Used = db.Stores.Active().Count(s => s.OwnerId == id) })
            .SingleOrDefaultAsync();
        if (me is null) return CurrentUser.Gone();
        return TypedResults.Ok(new MeResponse(me.Id, me.Email, me.Role, me.CreatedAt, new QuotaResponse(me.Used, me.StoreQuota ?? options.Value.DefaultQuota)));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangePassword(
        ChangePasswordRequest body, ClaimsPrincipal principal, StorefleetDb db, IPasswordHasher<User> hasher, SessionStamps sessions,
        IRateLimitStore limits, IOptions<RateLimitOptions> limitOptions, AuditLog audit, HttpContext http)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(body.CurrentPassword)) errors["currentPassword"] = ["Your current password is required."];
        else if (body.CurrentPassword.Length > CredentialRules.MaxPasswordLength) errors["currentPassword"] = ["The current password is wrong."];
        if (CredentialRules.PasswordProblems(body.NewPassword, principal.Email()) is { Length: > 0 } problems) errors["newPassword"] = problems;
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The password change is not valid");

        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == principal.UserId());
        if (user is null) return CurrentUser.Gone();

        // A stolen token must not become a password oracle: wrong current passwords count as failed
        // sign-ins of this account from this address, with the same growing delays.
        var failureKey = AuthApi.LoginFailureKey(user.Email, http.SourceIp());
        var blocked = await limits.CheckBackoffAsync(failureKey, http.RequestAborted);
        if (!blocked.Allowed) return (ProblemHttpResult)RateLimits.TooManyRequests(http, blocked, "Too many wrong passwords for this account from your network.");
        if (hasher.VerifyHashedPassword(user, user.PasswordHash, body.CurrentPassword!) == PasswordVerificationResult.Failed)
        {
            await limits.RecordFailureAsync(failureKey, limitOptions.Value.LoginFailures, http.RequestAborted);
            audit.Record(db, "auth.password.change", "denied", actor: user, detail: "wrong current password");
            await db.SaveChangesAsync();
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["currentPassword"] = ["The current password is wrong."] },
                title: "The current password is wrong");
        }

        user.PasswordHash = hasher.HashPassword(user, body.NewPassword!);
        SessionStamps.Bump(user);
        audit.Record(db, "auth.password.change", "success", actor: user, target: (user.Id.ToString(), user.Email), detail: "every session ended");
        await db.SaveChangesAsync();
        await limits.ResetBackoffAsync(failureKey, http.RequestAborted);
        sessions.Changed(user.Id);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeSessions(
        ClaimsPrincipal principal, StorefleetDb db, SessionStamps sessions, AuditLog audit)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == principal.UserId());
        if (user is null) return CurrentUser.Gone();
        SessionStamps.Bump(user);
        audit.Record(db, "auth.sessions.revoke", "success", actor: user, target: (user.Id.ToString(), user.Email), detail: "signed out everywhere");
        await db.SaveChangesAsync();
        sessions.Changed(user.Id);
        return TypedResults.NoContent();
    }

}
