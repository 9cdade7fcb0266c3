using System.Net;
using Microsoft.EntityFrameworkCore;
using Storefleet.Backups;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Backups;

/// <summary>The worker's backup housekeeping, in the real app on the simulated twin.</summary>
public class BackupSchedulerTests
{
    static Dictionary<string, string?> Settings(TimeSpan windowStart) => Engine.Fast(more: new Dictionary<string, string?>
    {
        ["Cluster:Simulated:BackupDuration"] = "00:00:00.100",
        ["Backups:SweepInterval"] = "00:00:00.200",
        ["Backups:RetentionInterval"] = "00:00:00",
        ["Backups:WindowStart"] = windowStart.ToString(@"hh\:mm\:ss"),
        ["Backups:WindowLength"] = "00:00:01",
        ["Backups:KeepDaily"] = "3",
        ["Backups:KeepWeekly"] = "1",
        ["Backups:GraceAfterStoreDeletion"] = "01:00:00",
    });

    [Fact]
    public async Task AReadyStoreGetsADailySlotInTheWindowIsBackedUpWhenItComesAndOnlyOnceThatDay()
    {
        await using var app = new TestApp(settings: Settings(TimeSpan.FromHours(1)));
        var ana = await app.ClientFor("ana@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await app.WaitForPhase(store.Id, StorePhase.Ready);
        await app.WaitUntil(async db => (await db.Stores.SingleAsync(s => s.Id == store.Id)).NextBackupAt is not null, TimeSpan.FromSeconds(20), "the store has a slot");
        await using (var db = app.NewDb())
        {
            var slot = (await db.Stores.SingleAsync(s => s.Id == store.Id)).NextBackupAt!.Value;
            Assert.InRange(slot.TimeOfDay, TimeSpan.FromHours(1), TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
            Assert.False(await db.StoreBackups.AnyAsync(b => b.StoreId == store.Id), "a new store's first backup waits for its slot");
            // The slot comes.
            await db.Stores.Where(s => s.Id == store.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.NextBackupAt, DateTime.UtcNow.AddSeconds(-1)));
        }

        await app.WaitUntil(async db => await db.StoreBackups.AnyAsync(b => b.StoreId == store.Id && b.Kind == BackupKind.Scheduled && b.State == BackupState.Completed),
            TimeSpan.FromSeconds(20), "the daily backup is taken");
        // Three more sweeps, run here so that they surely happened (the worker's own keep running too): none may
        // take another backup today.
        var scheduler = app.Service<BackupScheduler>();
        for (var i = 0; i < 3; i++) await scheduler.SweepAsync(CancellationToken.None);
        await using var check = app.NewDb();
        Assert.Equal(1, await check.StoreBackups.CountAsync(b => b.StoreId == store.Id));
        var next = (await check.Stores.SingleAsync(s => s.Id == store.Id)).NextBackupAt!.Value;
        Assert.InRange(next - DateTime.UtcNow, TimeSpan.Zero, TimeSpan.FromHours(24));
        Assert.Equal(TimeSpan.FromHours(1).Hours, next.TimeOfDay.Hours);
    }

    [Fact]
    public async Task RetentionKeepsRecentDaysAndWeeksAndADeletedStoresBackupsGoAfterTheGracePeriod()
    {
        await using var app = new TestApp(settings: Settings(TimeSpan.FromHours(1)));
        var ana = await app.ClientFor("ana@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await app.WaitForPhase(store.Id, StorePhase.Ready);
        var now = DateTime.UtcNow;
        var gone = Guid.NewGuid();
        await using (var db = app.NewDb())
        {
            var owner = (await db.Stores.SingleAsync(s => s.Id == store.Id)).OwnerId;
            StoreBackup Row(Guid storeId, DateTime at, DateTime? goneAt = null, BackupState state = BackupState.Completed) => new()
            {
                Id = Guid.CreateVersion7(), StoreId = storeId, OwnerId = owner, Kind = state == BackupState.Skipped ? BackupKind.PreUpgrade : BackupKind.Scheduled, State = state,
                CreatedAt = at, CompletedAt = at, SizeBytes = 1, Sha256 = new string('a', 64), ObjectKey = $"storefleet/stores/{storeId}/{at.Ticks}.tar", StoreGoneAt = goneAt,
            };
            db.StoreBackups.AddRange(Enumerable.Range(0, 20).Select(d => Row(store.Id, now.AddDays(-d))));
            db.StoreBackups.Add(Row(gone, now.AddDays(-3), goneAt: now.AddHours(-2)));   // deleted 2 h ago: past the grace period
            db.StoreBackups.Add(Row(Guid.NewGuid(), now.AddDays(-3)));                    // just found gone: its grace period starts now
            db.StoreBackups.Add(Row(store.Id, now.AddDays(-10), state: BackupState.Skipped)); // a skipped pre-upgrade backup goes like a failed one
            db.StoreBackups.Add(Row(store.Id, now.AddDays(-1), state: BackupState.Skipped));  // and stays as long
            await db.SaveChangesAsync();
        }

        await app.Service<BackupScheduler>().SweepAsync(CancellationToken.None);

        await using var check = app.NewDb();
        var kept = await check.StoreBackups.Where(b => b.StoreId == store.Id && b.State == BackupState.Completed).Select(b => b.CompletedAt!.Value).ToListAsync();
        var skipped = await check.StoreBackups.Where(b => b.StoreId == store.Id && b.State == BackupState.Skipped).Select(b => b.CompletedAt!.Value).ToListAsync();
        Assert.True(now - Assert.Single(skipped) < TimeSpan.FromDays(2));
        // The last 3 days; the newest of this week is one of them (KeepWeekly=1).
        Assert.Equal(3, kept.Count);
        Assert.All(kept, t => Assert.True(now - t < TimeSpan.FromDays(3)));
        Assert.False(await check.StoreBackups.AnyAsync(b => b.StoreId == gone));
        var storage = (SimulatedBackupStorage)((SelectedBackupStorage)app.Service<IBackupStorage>()).Chosen;
        Assert.True(storage.WasDeleted($"storefleet/stores/{gone}/{now.AddDays(-3).Ticks}.tar"));
        Assert.Equal(1, await check.StoreBackups.CountAsync(b => b.StoreGoneAt != null));
    }
}
