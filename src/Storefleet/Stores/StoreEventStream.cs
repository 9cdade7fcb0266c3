using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Auth;
using Storefleet.Data;
using Storefleet.Notifications;
using Storefleet.RateLimiting;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Storefleet.Stores;

/// <summary>
/// GET /stores/events: a server-sent event stream of the caller's store changes. Each notification is
/// re-read from the database, so what is sent is always the committed state (never a half-written one),
/// and a store of another tenant can never appear in it.
/// A user holds at most RateLimits:EventStreamsPerUser streams at once (counted across replicas when
/// Redis is configured, per replica otherwise), and a stream ends as soon as its session does: on an
/// "account changed" notice, and in any case at every heartbeat, when the session is re-checked
/// against the database.
/// </summary>
public static class StoreEventStream
{
    // Renewed at every heartbeat; a stream of a replica that died frees its slot when this runs out.
    private static readonly TimeSpan MinSlotLease = TimeSpan.FromSeconds(60);

    public static async Task Stream(HttpContext http, ClaimsPrincipal principal, StoreChangeFeed feed,
        IDbContextFactory<StorefleetDb> databases, IOptions<JsonOptions> json, SessionStamps sessions,
        IRateLimitStore limits, IOptions<RateLimitOptions> limitOptions, IOptions<StoreOptions> storeOptions, CancellationToken ct)
    {
        var heartbeat = storeOptions.Value.EventStreamHeartbeat;
        var slotLease = heartbeat * 4 > MinSlotLease ? heartbeat * 4 : MinSlotLease;
        var ownerId = principal.UserId();
        var slotKey = $"streams:{ownerId}";
        var slotId = Guid.NewGuid().ToString("N");
        var max = limitOptions.Value.EventStreamsPerUser;
        if (!await limits.TryTakeSlotAsync(slotKey, slotId, max, slotLease, ct))
        {
            await RateLimits.TooManyRequests(http, new RateLimitDecision(false, heartbeat * 2),
                $"You already have {max} live event streams open; close one (for example another browser tab).").ExecuteAsync(http);
            return;
        }
        try
        {
            await StreamChanges(http, principal, ownerId, feed, databases, json, sessions, heartbeat, () => limits.RenewSlotAsync(slotKey, slotId, slotLease, ct), ct);
        }
        finally
        {
            await limits.ReleaseSlotAsync(slotKey, slotId);
        }
    }

    private static async Task StreamChanges(HttpContext http, ClaimsPrincipal principal, Guid ownerId, StoreChangeFeed feed,
        IDbContextFactory<StorefleetDb> databases, IOptions<JsonOptions> json, SessionStamps sessions, TimeSpan heartbeat, Func<ValueTask> renewSlot, CancellationToken ct)
    {
        var stamp = principal.FindFirstValue(SessionStamps.StampClaim);
        var role = principal.FindFirstValue("role");
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no"; // nginx ingress: do not buffer the stream
        // A plain object, not an async iterator: disposing it (however the stream ends) only unsubscribes,
        // and no read is ever left pending, so a client going away ends the stream without an exception.
        using var changes = feed.Subscribe(ownerId);
        try
        {
            await http.Response.WriteAsync("retry: 3000\n: connected\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                using (var beat = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    beat.CancelAfter(heartbeat);
                    if (!await changes.WaitAsync(beat.Token))
                    {
                        if (ct.IsCancellationRequested) return;
                        if (!await sessions.IsCurrentAsync(ownerId, stamp, role, fresh: true, ct)) break;
                        await renewSlot();
                        await http.Response.WriteAsync(": ping\n\n", ct);
                        await http.Response.Body.FlushAsync(ct);
                        continue;
                    }
                }
                var sessionEnded = false;
                while (changes.TryRead(out var storeId))
                {
                    if (storeId == Guid.Empty)
                    {
                        // the account changed (password, sign-out everywhere, role): is this session still valid?
                        if (!await sessions.IsCurrentAsync(ownerId, stamp, role, fresh: true, ct)) { sessionEnded = true; break; }
                        continue;
                    }
                    await using var db = await databases.CreateDbContextAsync(ct);
                    var store = await db.Stores.AsNoTracking().SingleOrDefaultAsync(s => s.Id == storeId && s.OwnerId == ownerId, ct);
                    var message = store is null
                        ? $"event: deleted\ndata: {JsonSerializer.Serialize(new { id = storeId }, json.Value.SerializerOptions)}\n\n"
                        : $"event: store\ndata: {JsonSerializer.Serialize(StoreResponse.From(store), json.Value.SerializerOptions)}\n\n";
                    await http.Response.WriteAsync(message, ct);
                }
                if (sessionEnded) break;
                await http.Response.Body.FlushAsync(ct);
            }
            if (ct.IsCancellationRequested) return;
            // The session ended: say so, then close. The client's reconnect gets a 401 and signs in again.
            await http.Response.WriteAsync("event: session-ended\ndata: {}\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the client went away
        }
    }
}
