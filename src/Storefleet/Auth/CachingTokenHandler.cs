using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Storefleet.Auth;

/// <summary>
/// Validates each access token (signature, issuer, audience, lifetime) once, then remembers the result until the
/// token expires: a dashboard polling with the same token pays for one HMAC check and JSON parse, not one per
/// request. Only successes are remembered, and only the token: nothing about stores. Whether the session is
/// still current (sign-out everywhere, password change, deleted account) is checked on every request after
/// this, by <see cref="SessionStamps"/>, exactly as before.
/// </summary>
public sealed class CachingTokenHandler(TimeProvider clock) : JsonWebTokenHandler
{
    private const int MaxEntries = 20_000;
    private readonly ConcurrentDictionary<string, Entry> _validated = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (_validated.TryGetValue(token, out var known))
        {
            if (now < known.ValidUntil) return Copy(known.Result);
            _validated.TryRemove(token, out _);
        }
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is { } validated)
        {
            if (_validated.Count >= MaxEntries) _validated.Clear(); // a flood of distinct tokens: start over rather than grow
            _validated[token] = new Entry(result, validated.ValidTo + validationParameters.ClockSkew);
        }
        return result;
    }

    // Each request gets its own identity, so nothing one request does to its principal reaches another.
    private static TokenValidationResult Copy(TokenValidationResult known) => new()
    {
        IsValid = true,
        ClaimsIdentity = known.ClaimsIdentity.Clone(),
        SecurityToken = known.SecurityToken,
        Issuer = known.Issuer,
        TokenType = known.TokenType,
    };

    private sealed record Entry(TokenValidationResult Result, DateTime ValidUntil);
}
