using Microsoft.EntityFrameworkCore;
using Storefleet.Data;

namespace Storefleet.Stores;

/// <summary>
/// A slug no new store may take until <see cref="ReservedUntil"/>: the slug of a store that was deleted (or of an
/// orphan namespace that was removed), for <see cref="StoreOptions.SlugGracePeriod"/> after its namespace was gone.
/// The API never asks the cluster, so this table is how it knows; a namespace it cannot know about (a database
/// restored to an older state) is caught by the worker instead, as a NamespaceConflict.
/// </summary>
public sealed class SlugReservation
{
    public required string Slug { get; set; }
    /// <summary>The store that last held the slug.</summary>
    public Guid StoreId { get; set; }
    public DateTime ReservedUntil { get; set; }
}

public static class SlugReservations
{
    /// <summary>
    /// The base slug if it is free, else a suffixed one that is not reserved. A suffixed slug taken by a live store
    /// (a concurrent create) fails the insert on the unique index; the caller tries again.
    /// </summary>
    public static async Task<string> PickAsync(StorefleetDb db, string baseSlug, bool tryBase, DateTime now)
    {
        if (tryBase && await IsFreeAsync(db, baseSlug, now)) return baseSlug;
        for (var attempt = 1; ; attempt++)
        {
            var slug = StoreRules.SuffixedSlug(baseSlug);
            if (attempt >= 3 || !await IsReservedAsync(db, slug, now)) return slug;
        }
    }

    /// <summary>
    /// No store holds the slug and it is not reserved. Stores are checked first: a worker removes a deleted store's
    /// row and reserves its slug in one transaction, so a check that runs between the two reads still sees the row.
    /// </summary>
    public static async Task<bool> IsFreeAsync(StorefleetDb db, string slug, DateTime now) =>
        !await db.Stores.AnyAsync(s => s.Slug == slug) && !await IsReservedAsync(db, slug, now);

    private static Task<bool> IsReservedAsync(StorefleetDb db, string slug, DateTime now) =>
        db.SlugReservations.AnyAsync(r => r.Slug == slug && r.ReservedUntil > now);

    /// <summary>Reserves <paramref name="slug"/> until <paramref name="until"/> (tracked; the caller saves).</summary>
    public static async Task ReserveAsync(StorefleetDb db, string slug, Guid storeId, DateTime until, CancellationToken ct)
    {
        var existing = await db.SlugReservations.FindAsync([slug], ct);
        if (existing is null)
        {
            db.SlugReservations.Add(new SlugReservation { Slug = slug, StoreId = storeId, ReservedUntil = until });
        }
        else
        {
            existing.StoreId = storeId;
            if (until > existing.ReservedUntil) existing.ReservedUntil = until;
        }
    }
}
