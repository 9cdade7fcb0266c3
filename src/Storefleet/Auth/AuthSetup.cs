using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Storefleet.Data;

namespace Storefleet.Auth;

public sealed class AuthOptions
{
    /// <summary>HMAC-SHA256 signing key, at least 32 bytes of UTF-8. Required outside Development.</summary>
    public string? SigningKey { get; set; }
    public string Issuer { get; set; } = "storefleet";
    public string Audience { get; set; } = "storefleet-api";
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How long a process may trust a user's security stamp and role without asking the database (at most 30 s).</summary>
    public TimeSpan SessionCacheDuration { get; set; } = SessionStamps.MaxCacheDuration;
}

/// <summary>The first administrator, created (or promoted) at start-up when both values are configured.</summary>
public sealed class AdminOptions
{
    public string? Email { get; set; }
    public string? Password { get; set; }
}

public static class AuthSetup
{
    public const string AdminPolicy = "admin";
    private const int MinKeyBytes = 32;

    public static WebApplicationBuilder AddStorefleetAuth(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
        var key = new SymmetricSecurityKey(SigningKey(options, builder.Configuration, builder.Environment));
        var tokens = new TokenIssuer(options, key);

        builder.Services.AddSingleton(tokens);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<SessionStamps>();
        builder.Services.Configure<AdminOptions>(builder.Configuration.GetSection("Admin"));
        builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        builder.Services
            .AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenHandlers.Clear();
                jwt.TokenHandlers.Add(new CachingTokenHandler(TimeProvider.System));
                jwt.TokenValidationParameters = tokens.ValidationParameters;
                jwt.Events = new JwtBearerEvents { OnTokenValidated = CheckSessionIsCurrent, OnChallenge = WriteChallengeProblem };
            });
        builder.Services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim("sub").Build())
            .AddPolicy(AdminPolicy, p => p.RequireAuthenticatedUser().RequireClaim("role", Roles.Admin));
        return builder;
    }

    /// <summary>The key from configuration; in Development only, a random key generated once and kept in the data directory.</summary>
    private static byte[] SigningKey(AuthOptions options, IConfiguration configuration, IHostEnvironment environment)
    {
        if (!string.IsNullOrEmpty(options.SigningKey))
        {
            var bytes = Encoding.UTF8.GetBytes(options.SigningKey);
            if (bytes.Length < MinKeyBytes)
                throw new InvalidOperationException($"Auth:SigningKey is {bytes.Length} bytes; it must be at least {MinKeyBytes} bytes. Generate one with: openssl rand -base64 48");
            return bytes;
        }
        if (!environment.IsDevelopment())
            throw new InvalidOperationException(
                $"Auth:SigningKey is not set. Outside Development the API refuses to start without a signing key of at least {MinKeyBytes} bytes " +
                "(set the Auth__SigningKey environment variable, e.g. from `openssl rand -base64 48`).");

        return DataDirectory.DevelopmentKey(configuration, "jwt-signing.key", 64);
    }

    /// <summary>A well-signed token is still refused once its session was ended (see <see cref="SessionStamps"/>).</summary>
    private static async Task CheckSessionIsCurrent(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        var sessions = context.HttpContext.RequestServices.GetRequiredService<SessionStamps>();
        if (!Guid.TryParse(principal.FindFirstValue("sub"), out var userId)
            || !await sessions.IsCurrentAsync(userId, principal.FindFirstValue(SessionStamps.StampClaim), principal.FindFirstValue("role"), fresh: false, context.HttpContext.RequestAborted))
            context.Fail(new SessionEndedException());
    }

    /// <summary>401s are problem details that say why and what to do, instead of an empty body.</summary>
    private static async Task WriteChallengeProblem(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var expired = context.AuthenticateFailure is SecurityTokenExpiredException;
        var ended = context.AuthenticateFailure is SessionEndedException;
        var detail = expired
            ? "Your session has expired. Sign in again (POST /auth/login) to get a new access token."
            : ended
            ? "This session was ended: the password was changed, you signed out everywhere, or the account changed. Sign in again (POST /auth/login)."
            : context.AuthenticateFailure is not null
                ? "The access token is not valid. Sign in again (POST /auth/login) to get a new one."
                : "This endpoint needs an access token. Sign in (POST /auth/login) and send it as 'Authorization: Bearer <token>'.";
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = expired ? "Bearer error=\"invalid_token\", error_description=\"The token expired\"" : "Bearer";
        var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context.HttpContext,
            ProblemDetails = new ProblemDetails { Status = 401, Title = expired ? "Session expired" : ended ? "Session ended" : "Not signed in", Detail = detail },
        });
    }

    public static Guid UserId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue("sub")!);
    public static string Email(this ClaimsPrincipal user) => user.FindFirstValue("email") ?? "";
}

/// <summary>Mints and describes the platform's access tokens (HS256, issuer, audience and lifetime validated).</summary>
public sealed class TokenIssuer(AuthOptions options, SymmetricSecurityKey key)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public TokenValidationParameters ValidationParameters { get; } = new()
    {
        ValidIssuer = options.Issuer,
        ValidAudience = options.Audience,
        IssuerSigningKey = key,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = "email",
        RoleClaimType = "role",
    };

    public (string Token, DateTime ExpiresAt) Issue(User user, DateTime now)
    {
        var expires = now + options.TokenLifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = expires,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = user.Id.ToString(),
                ["email"] = user.Email,
                ["role"] = user.Role,
                [SessionStamps.StampClaim] = user.SecurityStamp,
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }
}
