using Microsoft.EntityFrameworkCore;
using Storefleet.Data;
using Storefleet.Stores;

namespace Storefleet.Provisioning;

/// <summary>
/// The stores table is the work queue. A store is due when <c>DueAt &lt;= now</c> and nobody holds an
/// unexpired lease on it. Leasing also moves <c>DueAt</c> to the lease's expiry, so a store whose worker
/// died becomes due again exactly when its lease runs out, and "the next due time" stays one MIN().
/// </summary>
public sealed class StoreQueue(IDbContextFactory<StorefleetDb> databases, TimeProvider clock)
{
    /// <summary>Atomically leases up to <paramref name="max"/> due stores for <paramref name="owner"/>. Two workers never get the same store.</summary>
    public async Task<List<Guid>> LeaseDueAsync(string owner, int max, TimeSpan duration, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + duration;
        // PostgreSQL: row locks with SKIP LOCKED let many workers lease in parallel without waiting on
        // each other. SQLite: the transaction starts with BEGIN IMMEDIATE, which serialises writers.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var ids = db.Database.IsNpgsql()
            ? await db.Database.SqlQuery<Guid>($"""
                SELECT "Id" AS "Value" FROM "Stores"
                WHERE "DueAt" <= {now} AND ("LeaseExpiresAt" IS NULL OR "LeaseExpiresAt" < {now})
                ORDER BY "DueAt" LIMIT {max}
                FOR UPDATE SKIP LOCKED
                """).ToListAsync(ct)
            : await db.Stores
                .DueAt(now)
                .OrderBy(s => s.DueAt).Select(s => s.Id).Take(max).ToListAsync(ct);
        if (ids.Count > 0)
            await db.Stores.Where(s => ids.Contains(s.Id)).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.LeaseOwner, owner)
                .SetProperty(x => x.LeaseExpiresAt, until)
                .SetProperty(x => x.DueAt, until), ct);
        await tx.CommitAsync(ct);
        return ids;
    }

    /// <summary>Extends a lease we hold. False when it was lost (expired and taken over, or the store is gone).</summary>
    public async Task<bool> RenewAsync(Guid id, string owner, TimeSpan duration, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var until = clock.GetUtcNow().UtcDateTime + duration;
        return await db.Stores.Where(s => s.Id == id && s.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.LeaseExpiresAt, until).SetProperty(x => x.DueAt, until), ct) == 1;
    }

    /// <summary>How long until the next unleased store is due (zero if one is due now; null if none is scheduled).</summary>
    public async Task<TimeSpan?> NextDueInAsync(CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var next = await db.Stores.Unleased(now).MinAsync(s => s.DueAt, ct);
        return next is null ? null : next.Value <= now ? TimeSpan.Zero : next.Value - now;
    }
}

public static class StoreQueueQueries
{
    /// <summary>Stores nobody holds an unexpired lease on.</summary>
    public static IQueryable<Store> Unleased(this IQueryable<Store> stores, DateTime now) =>
        stores.Where(s => s.LeaseExpiresAt == null || s.LeaseExpiresAt < now);

    /// <summary>Stores a worker may lease now (the PostgreSQL lease query says the same in SQL).</summary>
    public static IQueryable<Store> DueAt(this IQueryable<Store> stores, DateTime now) =>
        stores.Unleased(now).Where(s => s.DueAt <= now);
}
