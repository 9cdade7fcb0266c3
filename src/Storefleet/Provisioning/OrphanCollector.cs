using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Audit;
using Storefleet.Cluster;
using Storefleet.Data;
using Storefleet.Stores;

namespace Storefleet.Provisioning;

public sealed class OrphanOptions
{
    /// <summary>How often managed namespaces are compared with live stores.</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>A namespace younger than this is never an orphan: its store row may still be committing.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Garbage collection: a namespace labelled as ours whose store no longer exists (a crash between steps,
/// a row removed by hand, a restored database) is an orphan. After the grace period it is uninstalled and
/// deleted, and the removal is written to the audit log and the logs.
/// </summary>
public sealed class OrphanCollector(
    IStoreCluster cluster, IDbContextFactory<StorefleetDb> databases, TimeProvider clock, IOptions<OrphanOptions> options,
    IOptions<StoreOptions> storeOptions, ProvisioningMetrics metrics, ILogger<OrphanCollector> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ScanInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CollectAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Orphan scan failed; trying again in {Interval}", options.Value.ScanInterval);
            }
        }
    }

    /// <summary>One scan. Returns the namespaces removed.</summary>
    public async Task<List<string>> CollectAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var candidates = new List<ManagedNamespace>();
        await foreach (var ns in cluster.ListManagedAsync(ct))
        {
            // Storefleet always labels a store namespace with its store id: one without it was not made by a
            // worker, so it is not ours to delete (the driver refuses anyway). Reported, left alone.
            if (ns.StoreId is null)
            {
                log.LogWarning("Namespace {Namespace} is labelled managed by Storefleet but carries no store id; leaving it alone", ns.Name);
                continue;
            }
            if (!ns.Terminating && now - ns.CreatedAt > options.Value.GracePeriod) candidates.Add(ns);
        }
        if (candidates.Count == 0) return [];

        await using var db = await databases.CreateDbContextAsync(ct);
        var ids = candidates.Select(c => c.StoreId!.Value).ToList();
        var live = (await db.Stores.Where(s => ids.Contains(s.Id)).Select(s => new { s.Id, s.Slug }).ToListAsync(ct))
            .Select(s => $"store-{s.Slug}").ToHashSet();
        var removed = new List<string>();
        foreach (var orphan in candidates.Where(c => !live.Contains(c.Name)))
        {
            var slug = orphan.Name["store-".Length..];
            var target = new StoreRef(orphan.StoreId!.Value, slug);
            await cluster.UninstallAsync(target, ct);
            await cluster.DeleteNamespaceAsync(target, ct);
            // Like a deleted store's: its address is not handed to a new store at once.
            await SlugReservations.ReserveAsync(db, slug, orphan.StoreId!.Value, now + storeOptions.Value.SlugGracePeriod, ct);
            removed.Add(orphan.Name);
            metrics.OrphanRemoved();
            log.LogWarning("Removed orphan namespace {Namespace}: no live store owns it (store id {StoreId}, created {CreatedAt:u})", orphan.Name, orphan.StoreId, orphan.CreatedAt);
            db.AuditLog.Add(new AuditEntry
            {
                Time = now, Action = "namespace.orphan.removed", Outcome = "success", ActorEmail = "system:orphan-collector",
                TargetId = orphan.StoreId?.ToString(), TargetName = orphan.Name,
                Detail = $"No live store owned namespace {orphan.Name} (created {orphan.CreatedAt:u}); uninstalled and deleted after the {options.Value.GracePeriod.TotalMinutes:0}-minute grace period.",
            });
        }
        await db.SaveChangesAsync(ct);
        return removed;
    }
}
