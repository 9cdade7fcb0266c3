using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Data;
using Storefleet.Notifications;
using Storefleet.Stores;

namespace Storefleet.Backups;

/// <summary>Which completed backups the retention rule keeps: pure, table-tested.</summary>
public static class BackupRetention
{
    /// <summary>
    /// The newest backup of each of the <paramref name="daily"/> most recent days that have one, and the newest of each
    /// of the <paramref name="weekly"/> most recent ISO weeks that have one (UTC). Everything else may be deleted.
    /// </summary>
    public static HashSet<Guid> Keep(IEnumerable<(Guid Id, DateTime CompletedAt)> completed, int daily, int weekly)
    {
        var newestFirst = completed.OrderByDescending(b => b.CompletedAt).ToList();
        var keep = new HashSet<Guid>();
        foreach (var day in newestFirst.GroupBy(b => b.CompletedAt.Date).Take(daily)) keep.Add(day.First().Id);
        foreach (var week in newestFirst.GroupBy(b => (ISOWeek.GetYear(b.CompletedAt), ISOWeek.GetWeekOfYear(b.CompletedAt))).Take(weekly)) keep.Add(week.First().Id);
        return keep;
    }

    /// <summary>
    /// The store's daily backup time: <see cref="BackupOptions.WindowStart"/> plus an offset within the window derived
    /// from the store id, so a fleet's backups spread over the window instead of all starting at once.
    /// </summary>
    public static DateTime NextSlot(Guid storeId, DateTime now, BackupOptions options)
    {
        var window = Math.Max(1, (long)options.WindowLength.TotalSeconds);
        var offset = TimeSpan.FromSeconds((long)(BitConverter.ToUInt64(SHA256.HashData(storeId.ToByteArray())) % (ulong)window));
        var slot = now.Date + options.WindowStart + offset;
        return slot > now ? slot : slot.AddDays(1);
    }
}

/// <summary>
/// The worker's backup housekeeping, every <see cref="BackupOptions.SweepInterval"/>: daily backups at each store's
/// slot, the retention rule (old objects deleted from the bucket), and backups of deleted stores dropped after the
/// grace period. Safe on several workers at once: each scheduled backup is claimed by a conditional update.
/// </summary>
public sealed class BackupScheduler(
    IDbContextFactory<StorefleetDb> databases, IBackupStorage storage, IOptions<BackupOptions> options, TimeProvider clock,
    IStoreNotifier notifier, ILogger<BackupScheduler> log) : BackgroundService
{
    private const int Batch = 200;
    private DateTime _lastRetention = DateTime.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!storage.Enabled)
        {
            log.LogInformation("Backups are off: {Storage}", storage.Description);
            return;
        }
        log.LogInformation("Backups go to {Storage}", storage.Description);
        using var timer = new PeriodicTimer(options.Value.SweepInterval, clock);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "The backup sweep failed; it runs again in {Interval}", options.Value.SweepInterval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task SweepAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (options.Value.Scheduled) await ScheduleAsync(now, ct);
        await ForgetDeletedStoresAsync(now, ct);
        if (now - _lastRetention >= options.Value.RetentionInterval)
        {
            await ApplyRetentionAsync(now, ct);
            _lastRetention = now;
        }
    }

    private async Task ScheduleAsync(DateTime now, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var due = await db.Stores.AsNoTracking()
            .Where(s => s.DeletionRequestedAt == null && s.Phase == StorePhase.Ready && (s.NextBackupAt == null || s.NextBackupAt <= now))
            .OrderBy(s => s.NextBackupAt).Take(Batch).ToListAsync(ct);
        var started = 0;
        foreach (var store in due)
        {
            var next = BackupRetention.NextSlot(store.Id, now, options.Value);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // Claim this slot: of several workers, only the one whose update matched takes the backup.
            var claimed = await db.Stores.Where(s => s.Id == store.Id && s.NextBackupAt == store.NextBackupAt)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextBackupAt, next), ct) == 1;
            if (!claimed) continue;
            // A store's first slot is only set, not acted on: its first backup is at the next slot.
            var busy = await db.StoreBackups.Where(b => b.StoreId == store.Id).AnyAsync(StoreBackup.IsActive, ct);
            if (store.NextBackupAt is not null && !busy)
            {
                await BackupSteps.QueueAsync(db, store, BackupKind.Scheduled, now, storage.Prefix, ct);
                await db.SaveChangesAsync(ct);
                started++;
            }
            await tx.CommitAsync(ct);
        }
        if (started > 0)
        {
            log.LogInformation("Scheduled {Count} daily backups", started);
            notifier.WakeWorkers();
        }
    }

    private async Task ForgetDeletedStoresAsync(DateTime now, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        // Backups of a store that is gone: the grace period starts; one that never ran will not run.
        // Set-based statements: several workers may do this at once, and repeating it changes nothing.
        var orphaned = db.StoreBackups.Where(b => b.StoreGoneAt == null && !db.Stores.Any(s => s.Id == b.StoreId));
        await orphaned.Where(StoreBackup.IsActive).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.State, BackupState.Failed)
            .SetProperty(b => b.Message, "The store was deleted before this backup ran.")
            .SetProperty(b => b.CompletedAt, now), ct);
        await orphaned.ExecuteUpdateAsync(s => s.SetProperty(b => b.StoreGoneAt, now), ct);

        var cutoff = now - options.Value.GraceAfterStoreDeletion;
        var expired = await db.StoreBackups.AsNoTracking().Where(b => b.StoreGoneAt < cutoff).Take(Batch).ToListAsync(ct);
        foreach (var b in expired) await DeleteAsync(db, b, ct);
        if (expired.Count > 0) log.LogInformation("Deleted {Count} backups of stores deleted more than {Grace} ago", expired.Count, options.Value.GraceAfterStoreDeletion);
    }

    private async Task ApplyRetentionAsync(DateTime now, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var o = options.Value;
        // Of live stores only: a deleted store's backups are all kept for the grace period.
        var finished = await db.StoreBackups.AsNoTracking()
            .Where(b => b.StoreGoneAt == null && b.State != BackupState.Pending && b.State != BackupState.Running)
            .Select(b => new { b.Id, b.StoreId, b.State, b.CompletedAt }).ToListAsync(ct);
        var doomed = new List<Guid>();
        foreach (var store in finished.GroupBy(b => b.StoreId))
        {
            var keep = BackupRetention.Keep(store.Where(b => b.State == BackupState.Completed).Select(b => (b.Id, b.CompletedAt ?? DateTime.MinValue)), o.KeepDaily, o.KeepWeekly);
            // Failed and skipped attempts stay visible for as long as daily backups do.
            doomed.AddRange(store.Where(b => b.State == BackupState.Completed ? !keep.Contains(b.Id) : b.CompletedAt < now.AddDays(-o.KeepDaily)).Select(b => b.Id));
        }
        foreach (var chunk in doomed.Chunk(Batch))
        {
            var rows = await db.StoreBackups.AsNoTracking().Where(b => chunk.Contains(b.Id)).ToListAsync(ct);
            foreach (var b in rows) await DeleteAsync(db, b, ct);
        }
        if (doomed.Count > 0) log.LogInformation("Retention deleted {Count} backups", doomed.Count);
    }

    /// <summary>
    /// The object first, then the row: a failure leaves the row, and the next sweep tries again. Deleting what
    /// another worker deleted already is fine on both sides.
    /// </summary>
    private async Task DeleteAsync(StorefleetDb db, StoreBackup backup, CancellationToken ct)
    {
        try
        {
            await storage.DeleteAsync(backup.ObjectKey, ct);
            await db.StoreBackups.Where(b => b.Id == backup.Id).ExecuteDeleteAsync(ct);
        }
        catch (HttpRequestException e)
        {
            log.LogWarning("Could not delete backup object {Key}: {Message}", backup.ObjectKey, e.Message);
        }
    }
}
