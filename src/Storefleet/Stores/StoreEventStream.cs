using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Auth;
using Storefleet.Data;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Storefleet.Stores;

/// <summary>
/// GET /stores/events: a server-sent event stream of the caller's store changes. Each notification is
/// re-read from the database, so what is sent is always the committed state (never a half-written one),
/// and a store of another tenant can never appear in it.
/// </summary>
public static class StoreEventStream
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task Stream(HttpContext http, ClaimsPrincipal principal, StoreChangeFeed feed,
        IDbContextFactory<StorefleetDb> databases, IOptions<JsonOptions> json, CancellationToken ct)
    {
        var ownerId = principal.UserId();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no"; // nginx ingress: do not buffer the stream
        await using var changes = feed.Subscribe(ownerId, ct).GetAsyncEnumerator(ct);
        await http.Response.WriteAsync("retry: 3000\n: connected\n\n", ct);
        await http.Response.Body.FlushAsync(ct);

        var next = changes.MoveNextAsync().AsTask();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var finished = await Task.WhenAny(next, Task.Delay(Heartbeat, ct));
                if (finished != next)
                {
                    await http.Response.WriteAsync(": ping\n\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                    continue;
                }
                if (!await next) return;
                var storeId = changes.Current;
                next = changes.MoveNextAsync().AsTask();

                await using var db = await databases.CreateDbContextAsync(ct);
                var store = await db.Stores.AsNoTracking().SingleOrDefaultAsync(s => s.Id == storeId && s.OwnerId == ownerId, ct);
                var message = store is null
                    ? $"event: deleted\ndata: {JsonSerializer.Serialize(new { id = storeId }, json.Value.SerializerOptions)}\n\n"
                    : $"event: store\ndata: {JsonSerializer.Serialize(StoreResponse.From(store), json.Value.SerializerOptions)}\n\n";
                await http.Response.WriteAsync(message, ct);
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the client went away
        }
    }
}
