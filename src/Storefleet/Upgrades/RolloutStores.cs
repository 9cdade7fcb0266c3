using Microsoft.EntityFrameworkCore;
using Storefleet.Data;
using Storefleet.Notifications;
using Storefleet.Provisioning;
using Storefleet.Stores;

namespace Storefleet.Upgrades;

/// <summary>A claimed store as a rollout sees it: its membership and the store's current spec and status (null fields: the store is gone).</summary>
public sealed record RolloutMember(Guid RolloutId, Guid StoreId, int Wave, string FromVersion, DateTime? UpgradedAt, MemberStore? Store);

public sealed record MemberStore(string Slug, string Name, StorePhase Phase, string ChartVersion, string? RunningChartVersion, bool Deleting);

/// <summary>What rollouts read and write on the stores they claimed. Shared by the API (actions) and the driver.</summary>
public static class RolloutStores
{
    /// <summary>The members of a rollout (optionally of one wave, or only those a wave touched) with their stores, in two plain queries.</summary>
    public static Task<List<RolloutMember>> MembersAsync(StorefleetDb db, Guid rolloutId, int? wave, bool touchedOnly, CancellationToken ct)
    {
        var rows = db.RolloutStores.Where(r => r.RolloutId == rolloutId);
        if (wave is { } w) rows = rows.Where(r => r.Wave == w);
        if (touchedOnly) rows = rows.Where(r => r.UpgradedAt != null);
        return MembersAsync(db, rows, ct);
    }

    /// <summary>The members of several rollouts with their stores: the same two queries, however many rollouts.</summary>
    public static Task<List<RolloutMember>> MembersAsync(StorefleetDb db, IReadOnlyCollection<Guid> rolloutIds, CancellationToken ct) =>
        MembersAsync(db, db.RolloutStores.Where(r => rolloutIds.Contains(r.RolloutId)), ct);

    private static async Task<List<RolloutMember>> MembersAsync(StorefleetDb db, IQueryable<RolloutStore> rows, CancellationToken ct)
    {
        var members = await rows.AsNoTracking().ToListAsync(ct);
        var stores = await db.Stores.Where(s => rows.Any(r => r.StoreId == s.Id))
            .Select(s => new { s.Id, Store = new MemberStore(s.Slug, s.Name, s.Phase, s.ChartVersion, s.RunningChartVersion, s.DeletionRequestedAt != null) })
            .ToDictionaryAsync(s => s.Id, s => s.Store, ct);
        return [.. members.Select(m => new RolloutMember(m.RolloutId, m.StoreId, m.Wave, m.FromVersion, m.UpgradedAt, stores.GetValueOrDefault(m.StoreId)))];
    }

    /// <summary>
    /// How the members stand against the version each should run (<paramref name="wanted"/>): Ready on it (the full
    /// Ready, setup verification included, observed on the release), failed (Error, or not Ready by the deadline),
    /// or gone (deleted meanwhile). Failing stores are described with their Ready message.
    /// </summary>
    public static async Task<WaveTally> TallyAsync(StorefleetDb db, IReadOnlyList<RolloutMember> members, Func<RolloutMember, string> wanted,
        DateTime? deadline, DateTime now, CancellationToken ct)
    {
        int ready = 0, gone = 0;
        var failing = new List<RolloutMember>();
        foreach (var m in members)
        {
            if (m.Store is null or { Deleting: true }) gone++;
            else if (IsReadyAt(m.Store, wanted(m))) ready++;
            else if (m.Store.Phase == StorePhase.Error || deadline < now) failing.Add(m);
        }
        var shown = failing.Take(5).ToList();
        var ids = shown.Select(f => f.StoreId).ToList();
        var messages = await ReadyMessagesAsync(db, ids, ct);
        // The phase this tally counted; the message is read a moment later and may be newer (the store keeps retrying).
        var described = shown.Select(f => $"{f.Store!.Slug} ({f.Store.Phase}: {messages.GetValueOrDefault(f.StoreId) ?? "no status yet"})").ToList();
        if (failing.Count > shown.Count) described.Add($"and {failing.Count - shown.Count} more");
        return new WaveTally(members.Count, ready, failing.Count, gone, described);
    }

    /// <summary>The Ready message of each of these stores (only the id and conditions columns are read).</summary>
    public static async Task<Dictionary<Guid, string?>> ReadyMessagesAsync(StorefleetDb db, List<Guid> ids, CancellationToken ct) =>
        ids.Count == 0 ? [] : (await db.Stores.Where(s => ids.Contains(s.Id)).Select(s => new { s.Id, s.Conditions }).ToListAsync(ct))
            .ToDictionary(s => s.Id, s => s.Conditions.ReadyMessage());

    public static bool IsReadyAt(MemberStore store, string version) =>
        store.Phase == StorePhase.Ready && store.ChartVersion == version && store.RunningChartVersion == version;

    /// <summary>
    /// Gives <paramref name="stores"/> a new desired chart version with a new generation (the engine's normal "new
    /// generation → apply the release" path does the rest), a fresh provisioning deadline and a tenant-visible event,
    /// in the caller's transaction. Returns the stores changed, to wake the workers and live streams after commit.
    /// </summary>
    public static async Task<List<(Guid Id, Guid OwnerId)>> SetChartVersionAsync(StorefleetDb db, IQueryable<Store> stores, string version,
        DateTime now, string reason, string message, CancellationToken ct)
    {
        var live = stores.Where(s => s.DeletionRequestedAt == null);
        var changed = await live.Select(s => new { s.Id, s.OwnerId }).ToListAsync(ct);
        if (changed.Count == 0) return [];
        await live.ExecuteUpdateAsync(s => s
            .SetProperty(x => x.ChartVersion, version)
            .SetProperty(x => x.Generation, x => x.Generation + 1)
            .SetProperty(x => x.Phase, StorePhase.Provisioning)
            .SetProperty(x => x.ProvisioningDeadline, (DateTime?)null)
            .SetProperty(x => x.Attempt, 0)
            .SetProperty(x => x.DueAt, now)
            .SetProperty(x => x.UpdatedAt, now), ct);
        db.StoreEvents.AddRange(changed.Select(c => StoreEvent.Normal(c.Id, now, reason, message)));
        return [.. changed.Select(c => (c.Id, c.OwnerId))];
    }

    /// <summary>
    /// Takes the rollout for the caller's transaction, before anything else is written: a conditional bump of the revision
    /// it was read at. False when another transition (a driver's, an administrator's) happened since: read again. Taking
    /// the rollout row first in every transition also means a driver and an administrator never lock rows in opposite
    /// orders. The tracked rollout is then saved against the new revision.
    /// </summary>
    public static async Task<bool> FenceAsync(StorefleetDb db, Rollout rollout, CancellationToken ct)
    {
        var seen = rollout.Revision;
        if (await db.Rollouts.Where(r => r.Id == rollout.Id && r.Revision == seen)
                .ExecuteUpdateAsync(r => r.SetProperty(x => x.Revision, seen + 1), ct) != 1) return false;
        var revision = db.Entry(rollout).Property(x => x.Revision);
        revision.OriginalValue = seen + 1;
        revision.CurrentValue = seen + 2;
        return true;
    }

    /// <summary>Gives the rollout's stores back (a finished rollout claims none).</summary>
    public static Task ReleaseClaimsAsync(StorefleetDb db, Guid rolloutId, CancellationToken ct) =>
        db.Stores.Where(s => s.RolloutId == rolloutId).ExecuteUpdateAsync(s => s.SetProperty(x => x.RolloutId, (Guid?)null), ct);

    /// <summary>Wakes the provisioning workers and tells live streams (and rollout drivers) that these stores changed.</summary>
    public static void Announce(IEnumerable<(Guid Id, Guid OwnerId)> changed, IStoreNotifier notifier)
    {
        var any = false;
        foreach (var (id, owner) in changed)
        {
            notifier.StoreChanged(owner, id);
            any = true;
        }
        if (any) notifier.WakeWorkers();
    }
}
