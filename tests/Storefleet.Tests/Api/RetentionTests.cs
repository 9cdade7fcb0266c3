using System.Net;
using Microsoft.EntityFrameworkCore;
using Storefleet.Audit;
using Storefleet.Data;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>Idempotency keys, store events and audit entries are swept once past their age, in batches, with metrics.</summary>
public class RetentionTests
{
    [SkippableTheory, InlineData(Db.Sqlite), InlineData(Db.Postgres)]
    public async Task TheSweepDeletesOnlyExpiredRowsInBatchesAndCountsThem(Db db)
    {
        TestServices.Require(db);
        await using var app = new TestApp(db, new Dictionary<string, string?>
        {
            ["Roles"] = "api",
            ["Retention:StoreEvents"] = "30.00:00:00",
            ["Retention:AuditLog"] = "365.00:00:00",
            ["Retention:BatchSize"] = "2", // several batches per table
            ["Retention:SweepInterval"] = "1.00:00:00", // this test sweeps by hand
        });
        var now = DateTime.UtcNow;
        var owner = await app.CreateUser("ana@example.com");
        await using (var data = app.NewDb())
        {
            for (var i = 0; i < 5; i++)
            {
                data.IdempotencyRecords.Add(new IdempotencyRecord { OwnerId = owner.Id, Key = $"old-{i}", RequestHash = "h", ResponseJson = "{}", CreatedAt = now.AddHours(-25) });
                data.StoreEvents.Add(StoreEvent.Normal(Guid.NewGuid(), now.AddDays(-31), "Old", "old"));
                data.AuditLog.Add(new AuditEntry { Time = now.AddDays(-366), Action = "old", Outcome = "success" });
            }
            data.IdempotencyRecords.Add(new IdempotencyRecord { OwnerId = owner.Id, Key = "fresh", RequestHash = "h", ResponseJson = "{}", CreatedAt = now.AddHours(-23) });
            data.StoreEvents.Add(StoreEvent.Normal(Guid.NewGuid(), now.AddDays(-29), "Recent", "recent"));
            data.AuditLog.Add(new AuditEntry { Time = now.AddDays(-364), Action = "recent", Outcome = "success" });
            await data.SaveChangesAsync();
        }

        var swept = await app.Service<RetentionSweeper>().SweepOnceAsync(CancellationToken.None);

        Assert.Equal(new Dictionary<string, int> { ["idempotency_keys"] = 5, ["store_events"] = 5, ["audit_log"] = 5 }, swept);
        await using var after = app.NewDb();
        Assert.Equal(["fresh"], await after.IdempotencyRecords.Select(r => r.Key).ToListAsync());
        Assert.Equal(["Recent"], await after.StoreEvents.Select(e => e.Reason).ToListAsync());
        Assert.Equal(["recent"], await after.AuditLog.Select(a => a.Action).ToListAsync());
        var metrics = await (await app.CreateClient().GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Matches("storefleet_retention_rows_swept_total\\{table=\"audit_log\"\\} [1-9]", metrics);
    }

    [Fact]
    public async Task TheBackgroundSweepRunsInApiProcesses()
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?>
        {
            ["Roles"] = "api",
            ["Retention:SweepInterval"] = "00:00:00.200",
        });
        await using (var data = app.NewDb())
        {
            data.StoreEvents.Add(StoreEvent.Normal(Guid.NewGuid(), DateTime.UtcNow.AddDays(-91), "Old", "older than the default 90 days"));
            await data.SaveChangesAsync();
        }
        _ = app.CreateClient(); // starts the host

        await app.WaitUntil(async db => !await db.StoreEvents.AnyAsync(e => e.Reason == "Old"), TimeSpan.FromSeconds(10), "the sweep removed the old event");
    }

    [Fact]
    public async Task AnExpiredIdempotencyKeyIsGoneAfterTheSweepSoTheKeyCreatesAgain()
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?> { ["Roles"] = "api", ["Retention:SweepInterval"] = "1.00:00:00" });
        var ana = await app.ClientFor("ana@example.com", quota: 10);
        var first = await (await ana.PostJson("/stores", new { name = "Ana Bakery" }, idempotencyKey: "k-1")).Read<StoreResponse>(HttpStatusCode.Accepted);
        await using (var data = app.NewDb())
            await data.IdempotencyRecords.ExecuteUpdateAsync(r => r.SetProperty(x => x.CreatedAt, DateTime.UtcNow.AddHours(-25)));

        await app.Service<RetentionSweeper>().SweepOnceAsync(CancellationToken.None);
        var second = await (await ana.PostJson("/stores", new { name = "Ana Bakery" }, idempotencyKey: "k-1")).Read<StoreResponse>(HttpStatusCode.Accepted);

        Assert.NotEqual(first.Id, second.Id);
    }

    [Theory]
    [InlineData("Retention:AuditLog", "00:00:00")]
    [InlineData("Retention:BatchSize", "0")]
    public async Task NonsenseRetentionSettingsStopStartUp(string key, string value)
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?> { [key] = value });

        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("Retention:", failure.ToString());
    }
}
