using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Storefleet.Backups;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Backups;

public class BackupApiTests
{
    static Dictionary<string, string?> Settings(string perUserPerDay = "20") => Engine.Fast(more: new Dictionary<string, string?>
    {
        ["Cluster:Simulated:BackupDuration"] = "00:00:00.100",
        ["Cluster:Simulated:RestoreDuration"] = "00:00:00.100",
        ["Backups:PerUserPerDay"] = perUserPerDay,
    });

    [Fact]
    public async Task AnotherTenantCanNeitherSeeNorBackUpNorRestoreNorCloneSomeoneElsesStore()
    {
        await using var app = new TestApp(settings: Settings());
        var ana = await app.ClientFor("ana@example.com");
        var bob = await app.ClientFor("bob@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await app.WaitForPhase(store.Id, StorePhase.Ready);
        var backup = await (await ana.PostAsync($"/stores/{store.Id}/backups", null)).Read<BackupResponse>(HttpStatusCode.Accepted);

        await (await bob.GetAsync($"/stores/{store.Id}/backups")).AssertProblem(404);
        await (await bob.PostAsync($"/stores/{store.Id}/backups", null)).AssertProblem(404);
        await (await bob.PostJson($"/stores/{store.Id}/restore", new { backupId = backup.Id })).AssertProblem(404);
        var clone = await (await bob.PostJson("/stores", new { name = "Bob Copy", cloneFrom = new { storeId = store.Id } })).AssertProblem(404);
        Assert.Contains("has no completed backup in your account", clone.Detail);
    }

    [Fact]
    public async Task BadRestoreAndCloneRequestsGetProblemsThatSayWhatToDo()
    {
        await using var app = new TestApp(settings: Settings());
        var ana = await app.ClientFor("ana@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);

        // Not Ready yet: nothing to back up.
        var early = await (await ana.PostAsync($"/stores/{store.Id}/backups", null)).AssertProblem(409);
        Assert.Contains("Only a running store", early.Detail);
        await app.WaitForPhase(store.Id, StorePhase.Ready);

        var missing = await (await ana.PostJson($"/stores/{store.Id}/restore", new { })).AssertProblem(400);
        Assert.Contains("backupId", missing.Errors!.Keys);
        var unknown = await (await ana.PostJson($"/stores/{store.Id}/restore", new { backupId = Guid.NewGuid() })).AssertProblem(404);
        Assert.Contains("GET /stores/", unknown.Detail);
        var noBackup = await (await ana.PostJson("/stores", new { name = "Copy", cloneFrom = new { storeId = store.Id } })).AssertProblem(404);
        Assert.Contains($"POST /stores/{store.Id}/backups", noBackup.Detail);
        var noSource = await (await ana.PostJson("/stores", new { name = "Copy", cloneFrom = new { } })).AssertProblem(400);
        Assert.Contains("cloneFrom.storeId", noSource.Detail);

        var first = await (await ana.PostAsync($"/stores/{store.Id}/backups", null)).Read<BackupResponse>(HttpStatusCode.Accepted);
        var twice = await (await ana.PostAsync($"/stores/{store.Id}/backups", null)).AssertProblem(409);
        Assert.Contains(first.Id.ToString(), twice.Detail);
        var notYet = await (await ana.PostJson($"/stores/{store.Id}/restore", new { backupId = first.Id })).AssertProblem(409);
        Assert.Contains("only a completed backup", notYet.Detail);
    }

    [Fact]
    public async Task AStoreIsNotRestoredWhileOneOfItsBackupsIsUnderWaySoThatBackupNeverCopiesAHalfRestoredStore()
    {
        await using var app = new TestApp(settings: Settings());
        var ana = await app.ClientFor("ana@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await app.WaitForPhase(store.Id, StorePhase.Ready);
        var now = DateTime.UtcNow;
        await using var db = app.NewDb();
        var owner = (await db.Stores.SingleAsync(s => s.Id == store.Id)).OwnerId;
        StoreBackup Row(BackupState state) => new()
        {
            Id = Guid.CreateVersion7(), StoreId = store.Id, OwnerId = owner, Kind = BackupKind.Manual, State = state, CreatedAt = now,
            CompletedAt = state == BackupState.Completed ? now : null, Sha256 = new string('a', 64), ObjectKey = $"storefleet/stores/{store.Id}/{state}.tar",
        };
        var done = Row(BackupState.Completed);
        // Written directly, without the store's marker: the engine leaves the running one as it is for this test.
        db.StoreBackups.AddRange(done, Row(BackupState.Running));
        await db.SaveChangesAsync();

        var refused = await (await ana.PostJson($"/stores/{store.Id}/restore", new { backupId = done.Id })).AssertProblem(409);

        Assert.Contains("is Running; restore once it has finished", refused.Detail);
        Assert.Equal(StorePhase.Ready, (await ana.GetFromJsonAsync<StoreResponse>($"/stores/{store.Id}", Json.Options))!.Status);
    }

    [Fact]
    public async Task AStoreTheEngineGaveUpOnIsNeitherBackedUpNorRestoredForTheyWouldWaitForEver()
    {
        // API only: the store stays as written (no worker moves it on).
        await using var app = new TestApp(settings: new Dictionary<string, string?> { ["Roles"] = "api" });
        var user = await app.CreateUser("ana@example.com");
        var ana = app.ClientWithToken(app.Service<Storefleet.Auth.TokenIssuer>().Issue(user, DateTime.UtcNow).Token);
        var now = DateTime.UtcNow;
        var store = new Store
        {
            // Was Ready, then found a namespace that is not its own: terminal Error, no next look (DueAt null).
            Id = Guid.CreateVersion7(), OwnerId = user.Id, Name = "Ana", Slug = "ana", Engine = "woocommerce", ChartVersion = "0.1.0",
            Phase = StorePhase.Error, ReadyAt = now.AddDays(-1), DueAt = null, CreatedAt = now.AddDays(-2), UpdatedAt = now,
        };
        var done = new StoreBackup
        {
            Id = Guid.CreateVersion7(), StoreId = store.Id, OwnerId = user.Id, Kind = BackupKind.Manual, State = BackupState.Completed, CreatedAt = now.AddHours(-1),
            CompletedAt = now.AddHours(-1), Sha256 = new string('a', 64), ObjectKey = $"storefleet/stores/{store.Id}/done.tar",
        };
        await using (var db = app.NewDb())
        {
            db.Stores.Add(store);
            db.StoreBackups.Add(done);
            await db.SaveChangesAsync();
        }

        var backup = await (await ana.PostAsync($"/stores/{store.Id}/backups", null)).AssertProblem(409);
        var restore = await (await ana.PostJson($"/stores/{store.Id}/restore", new { backupId = done.Id })).AssertProblem(409);

        Assert.Contains("no longer retried", backup.Detail);
        Assert.Contains("no longer retried", restore.Detail);
        await using var check = app.NewDb();
        Assert.Equal(1, await check.StoreBackups.CountAsync());
        Assert.Null((await check.Stores.SingleAsync()).RestoreBackupId);
    }

    [Fact]
    public async Task ASkippedPreUpgradeBackupIsListedAsSkippedWithItsReasonAndCannotBeRestored()
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?> { ["Roles"] = "api" });
        var user = await app.CreateUser("ana@example.com");
        var ana = app.ClientWithToken(app.Service<Storefleet.Auth.TokenIssuer>().Issue(user, DateTime.UtcNow).Token);
        var now = DateTime.UtcNow;
        var store = new Store
        {
            Id = Guid.CreateVersion7(), OwnerId = user.Id, Name = "Ana", Slug = "ana", Engine = "woocommerce", ChartVersion = "0.2.0",
            Phase = StorePhase.Ready, ReadyAt = now, DueAt = now.AddHours(1), CreatedAt = now, UpdatedAt = now,
        };
        var skipped = new StoreBackup
        {
            Id = Guid.CreateVersion7(), StoreId = store.Id, OwnerId = user.Id, Kind = BackupKind.PreUpgrade, State = BackupState.Skipped, ChartVersion = "0.2.0",
            CreatedAt = now, CompletedAt = now, ObjectKey = $"storefleet/stores/{store.Id}/skipped.tar",
            Message = "The store's chart has no backup template (CronJob store-ana-backup): it is from before backups; a chart version with backups brings it.",
        };
        await using (var db = app.NewDb())
        {
            db.Stores.Add(store);
            db.StoreBackups.Add(skipped);
            await db.SaveChangesAsync();
        }

        var listed = Assert.Single((await ana.GetFromJsonAsync<BackupList>($"/stores/{store.Id}/backups", Json.Options))!.Items);
        var json = await ana.GetStringAsync($"/stores/{store.Id}/backups");
        var restore = await (await ana.PostJson($"/stores/{store.Id}/restore", new { backupId = skipped.Id })).AssertProblem(409);

        Assert.Equal((BackupState.Skipped, "pre-upgrade"), (listed.State, listed.Kind));
        Assert.Contains("\"state\":\"Skipped\"", json);
        Assert.Contains("has no backup template", listed.Message);
        Assert.Contains("only a completed backup", restore.Detail);
    }

    [Fact]
    public async Task BackupsRestoresAndClonesAreLimitedPerUserPerDay()
    {
        await using var app = new TestApp(settings: Settings(perUserPerDay: "2"));
        var ana = await app.ClientFor("ana@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await app.WaitForPhase(store.Id, StorePhase.Ready);

        for (var i = 0; i < 2; i++)
        {
            var b = await (await ana.PostAsync($"/stores/{store.Id}/backups", null)).Read<BackupResponse>(HttpStatusCode.Accepted);
            await app.WaitUntil(async db => (await db.StoreBackups.FindAsync(b.Id))!.State == BackupState.Completed, TimeSpan.FromSeconds(20), "backup done");
        }
        var limited = await (await ana.PostAsync($"/stores/{store.Id}/backups", null)).AssertProblem(429);
        Assert.Contains("limit is 2", limited.Detail);
        await (await ana.PostJson("/stores", new { name = "Copy", cloneFrom = new { storeId = store.Id } })).AssertProblem(429);

        var list = await ana.GetFromJsonAsync<BackupList>($"/stores/{store.Id}/backups", Json.Options);
        Assert.Equal(2, list!.Items.Count);
        Assert.True(list.Items[0].CreatedAt >= list.Items[1].CreatedAt, "newest first");
    }
}

public class BackupRulesTests
{
    static readonly DateTime Monday = new(2026, 11, 30, 2, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void RetentionKeepsTheNewestOfEachRecentDayAndOfEachRecentWeek()
    {
        // Three weeks of daily backups, two on the last day.
        var backups = Enumerable.Range(0, 21).Select(d => (Id: Guid.NewGuid(), CompletedAt: Monday.AddDays(-d))).ToList();
        var extra = (Id: Guid.NewGuid(), CompletedAt: Monday.AddHours(-1));
        backups.Add(extra);

        var keep = BackupRetention.Keep(backups, daily: 3, weekly: 2);

        var kept = backups.Where(b => keep.Contains(b.Id)).Select(b => b.CompletedAt).OrderDescending().ToList();
        // The last three days (newest of each), and the newest of the previous ISO week (Sunday 29th).
        Assert.Equal([Monday, Monday.AddDays(-1), Monday.AddDays(-2)], kept);
        Assert.DoesNotContain(extra.Id, keep);
        Assert.Equal(3, BackupRetention.Keep(backups, daily: 3, weekly: 1).Count);
        Assert.Equal(4, BackupRetention.Keep(backups, daily: 1, weekly: 4).Count);
    }

    [Fact]
    public void DailySlotsFallInsideTheWindowAndSpreadAcrossStores()
    {
        var options = new BackupOptions { WindowStart = TimeSpan.FromHours(1), WindowLength = TimeSpan.FromHours(4) };
        var now = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
        var slots = Enumerable.Range(0, 200).Select(_ => BackupRetention.NextSlot(Guid.NewGuid(), now, options)).ToList();

        Assert.All(slots, s => Assert.InRange(s, now.Date.AddDays(1).AddHours(1), now.Date.AddDays(1).AddHours(5)));
        // Spread: no quarter-hour of the window holds more than a fifth of the stores.
        Assert.True(slots.GroupBy(s => (s.TimeOfDay.Ticks / TimeSpan.FromMinutes(15).Ticks)).Max(g => g.Count()) < 40);
        var id = Guid.NewGuid();
        Assert.Equal(BackupRetention.NextSlot(id, now, options), BackupRetention.NextSlot(id, now, options));
        Assert.Equal(BackupRetention.NextSlot(id, now.Date.AddHours(0.5), options), BackupRetention.NextSlot(id, now, options).AddDays(-1));
    }
}
