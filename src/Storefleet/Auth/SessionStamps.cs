using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Storefleet.Data;
using Storefleet.Notifications;
using Storefleet.Stores;

namespace Storefleet.Auth;

/// <summary>
/// Ends sessions before their tokens expire. Every access token carries the user's security stamp and
/// role; every authenticated request checks both against the database (through a per-process cache of
/// at most <see cref="AuthOptions.SessionCacheDuration"/>, 30 s by default and never more). A token is
/// refused once the account is gone, its role changed or its stamp was bumped (password change, sign
/// out everywhere).
/// <para>Invalidation: a bump evicts this process' cache entry at once and publishes an "account changed"
/// notice on the store change feed, which the PostgreSQL or Redis bridge carries to every replica; there it
/// evicts the entry too and makes open event streams re-check. If a notice is lost (no bridge, a
/// dropped connection), the cache entry still expires within the cache duration, so a revoked token
/// works nowhere for longer than that.</para>
/// </summary>
public sealed class SessionStamps
{
    public const string StampClaim = "stamp";
    public static readonly TimeSpan MaxCacheDuration = TimeSpan.FromSeconds(30);
    private const int SweepAbove = 100_000;

    private readonly IDbContextFactory<StorefleetDb> _databases;
    private readonly IStoreNotifier _notifier;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _cacheFor;
    private readonly ConcurrentDictionary<Guid, Entry> _cache = new();

    public SessionStamps(IDbContextFactory<StorefleetDb> databases, StoreChangeFeed feed, IStoreNotifier notifier, TimeProvider clock, AuthOptions options)
    {
        _databases = databases;
        _notifier = notifier;
        _clock = clock;
        _cacheFor = options.SessionCacheDuration < TimeSpan.Zero ? TimeSpan.Zero
            : options.SessionCacheDuration > MaxCacheDuration ? MaxCacheDuration : options.SessionCacheDuration;
        feed.AccountChanged += userId => _cache.TryRemove(userId, out _);
    }

    public static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// True while the account exists with this stamp and role. <paramref name="fresh"/> skips the cache
    /// (open event streams re-check with it).
    /// </summary>
    public async ValueTask<bool> IsCurrentAsync(Guid userId, string? stamp, string? role, bool fresh, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(stamp)) return false; // tokens from before stamps existed: sign in again
        var now = _clock.GetUtcNow().UtcTicks;
        if (fresh || !_cache.TryGetValue(userId, out var entry) || entry.ExpiresAtTicks <= now)
        {
            await using var db = await _databases.CreateDbContextAsync(ct);
            var current = await db.Users.AsNoTracking().Where(u => u.Id == userId)
                .Select(u => new { u.SecurityStamp, u.Role }).SingleOrDefaultAsync(ct);
            entry = new Entry(current?.SecurityStamp, current?.Role, now + _cacheFor.Ticks);
            if (_cacheFor > TimeSpan.Zero)
            {
                if (_cache.Count > SweepAbove) Sweep(now);
                _cache[userId] = entry;
            }
        }
        return entry.Stamp is not null && entry.Stamp == stamp && entry.Role == role;
    }

    /// <summary>
    /// Gives the user a new stamp inside the caller's unit of work; call <see cref="Changed"/> after the
    /// commit so that every replica forgets the old one.
    /// </summary>
    public static void Bump(User user) => user.SecurityStamp = NewStamp();

    /// <summary>The account's stamp, role or existence changed (after commit): forget it here and tell every replica.</summary>
    public void Changed(Guid userId)
    {
        _cache.TryRemove(userId, out _);
        _notifier.AccountChanged(userId);
    }

    private void Sweep(long now)
    {
        foreach (var (id, entry) in _cache)
            if (entry.ExpiresAtTicks <= now) _cache.TryRemove(id, out _);
    }

    private sealed record Entry(string? Stamp, string? Role, long ExpiresAtTicks);
}

/// <summary>The session behind an access token was ended (see <see cref="SessionStamps"/>).</summary>
public sealed class SessionEndedException() : Exception("The session was ended.");
