using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Audit;
using Storefleet.Data;
using Storefleet.RateLimiting;

namespace Storefleet.Auth;

public sealed record RegisterRequest(string? Email, string? Password);
public sealed record LoginRequest(string? Email, string? Password);
public sealed record AccountResponse(Guid Id, string Email, string Role, DateTime CreatedAt);
public sealed record TokenResponse(string AccessToken, DateTime ExpiresAt, string TokenType = "Bearer");

public static class AuthApi
{
    public static RouteGroupBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/auth").WithTags("Auth").AllowAnonymous();
        group.MapPost("/register", Register)
            .WithSummary("Create an account")
            .WithDescription("Passwords need at least 10 characters with a letter and a digit. Rate-limited per IP and for the whole platform.");
        group.MapPost("/login", Login)
            .WithSummary("Exchange email and password for an access token")
            .WithDescription("Unknown email and wrong password give the same 401. Rate-limited per IP; repeated failures for one account from one address get growing delays (429 with Retry-After).");
        return group;
    }

    private static async Task<Results<Created<AccountResponse>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterRequest body, StorefleetDb db, IPasswordHasher<User> hasher, IRateLimitStore limits,
        IOptions<RateLimitOptions> limitOptions, AuditLog audit, TimeProvider clock, HttpContext http)
    {
        var ip = http.SourceIp();
        var byIp = await limits.TryTakeAsync($"auth-ip:{ip}", limitOptions.Value.AuthPerIp, http.RequestAborted);
        if (!byIp.Allowed) return (ProblemHttpResult)RateLimits.TooManyRequests(http, byIp, "Too many sign-up or sign-in attempts from your network.");
        var signupsByIp = await limits.TryTakeAsync($"signup-ip:{ip}", limitOptions.Value.SignupsPerIp, http.RequestAborted);
        if (!signupsByIp.Allowed) return (ProblemHttpResult)RateLimits.TooManyRequests(http, signupsByIp, "Too many accounts were created from your network.");
        // Checked after the per-IP limits, so that one address cannot spend the whole platform's allowance.
        var signupsTotal = await limits.TryTakeAsync("signup-total", limitOptions.Value.SignupsTotal, http.RequestAborted);
        if (!signupsTotal.Allowed) return (ProblemHttpResult)RateLimits.TooManyRequests(http, signupsTotal, "Sign-ups are busy right now.");

        var errors = new Dictionary<string, string[]>();
        if (CredentialRules.EmailProblems(body.Email) is { Length: > 0 } emailProblems) errors["email"] = emailProblems;
        if (CredentialRules.PasswordProblems(body.Password, body.Email) is { Length: > 0 } passwordProblems) errors["password"] = passwordProblems;
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The account details are not acceptable");

        var now = clock.GetUtcNow().UtcDateTime;
        var user = new User { Id = Guid.CreateVersion7(), Email = CredentialRules.NormalizeEmail(body.Email!), PasswordHash = "", CreatedAt = now };
        user.PasswordHash = hasher.HashPassword(user, body.Password!);
        db.Users.Add(user);
        audit.Record(db, "auth.register", "success", actor: user, target: (user.Id.ToString(), user.Email));
        try
        {
            await db.SaveChangesAsync();
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return TypedResults.Problem(
                title: "Email already registered",
                detail: "An account with this email already exists. Sign in instead, or use another email.",
                statusCode: StatusCodes.Status409Conflict);
        }
        return TypedResults.Created("/me", new AccountResponse(user.Id, user.Email, user.Role, user.CreatedAt));
    }

    /// <summary>The failure counter of one account from one source address (shared with POST /me/password).</summary>
    internal static string LoginFailureKey(string normalizedEmail, string ip) => $"login-failures:{normalizedEmail}|{ip}";

    // A fixed hash to verify against when the email is unknown, so that both failures cost the same time.
    private static readonly string DecoyHash = new PasswordHasher<User>().HashPassword(null!, "decoy-password-0");

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Login(
        LoginRequest body, StorefleetDb db, IPasswordHasher<User> hasher, TokenIssuer tokens, IRateLimitStore limits,
        IOptions<RateLimitOptions> limitOptions, AuditLog audit, TimeProvider clock, HttpContext http)
    {
        var ip = http.SourceIp();
        var byIp = await limits.TryTakeAsync($"auth-ip:{ip}", limitOptions.Value.AuthPerIp, http.RequestAborted);
        if (!byIp.Allowed) return (ProblemHttpResult)RateLimits.TooManyRequests(http, byIp, "Too many sign-in attempts from your network.");

        var errors = new Dictionary<string, string[]>();
        if (CredentialRules.EmailProblems(body.Email) is { Length: > 0 } emailProblems) errors["email"] = emailProblems;
        if (string.IsNullOrEmpty(body.Password)) errors["password"] = ["Password is required."];
        else if (body.Password.Length > CredentialRules.MaxPasswordLength) errors["password"] = ["Password is too long."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Sign-in details are incomplete");

        // Failures are counted per account AND source address: an attacker guessing from one address slows
        // down only there (growing delays, never a hard lock), and the owner signing in from anywhere
        // else is not affected. Guessing from many addresses is bounded by the per-address limit above.
        var email = CredentialRules.NormalizeEmail(body.Email!);
        var failureKey = LoginFailureKey(email, ip);
        var blocked = await limits.CheckBackoffAsync(failureKey, http.RequestAborted);
        if (!blocked.Allowed) return (ProblemHttpResult)RateLimits.TooManyRequests(http, blocked, "Too many failed sign-ins for this account from your network.");

        var user = await db.Users.SingleOrDefaultAsync(u => u.Email == email);
        var verdict = hasher.VerifyHashedPassword(user ?? new User { Email = email, PasswordHash = DecoyHash }, user?.PasswordHash ?? DecoyHash, body.Password!);
        if (user is null || verdict == PasswordVerificationResult.Failed)
        {
            await limits.RecordFailureAsync(failureKey, limitOptions.Value.LoginFailures, http.RequestAborted);
            audit.Record(db, "auth.login", "denied", actor: user, actorEmail: email, detail: "wrong email or password");
            await db.SaveChangesAsync();
            return TypedResults.Problem(
                title: "Sign-in failed",
                detail: "The email or password is wrong. Check both and try again.",
                statusCode: StatusCodes.Status401Unauthorized);
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = hasher.HashPassword(user, body.Password!);
        if (string.IsNullOrEmpty(user.SecurityStamp)) SessionStamps.Bump(user); // accounts from before security stamps
        audit.Record(db, "auth.login", "success", actor: user);
        await db.SaveChangesAsync();
        await limits.ResetBackoffAsync(failureKey, http.RequestAborted);

        var (token, expiresAt) = tokens.Issue(user, clock.GetUtcNow().UtcDateTime);
        return TypedResults.Ok(new TokenResponse(token, expiresAt));
    }
}
