using System.Net;
using Microsoft.EntityFrameworkCore;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;
using Storefleet.Tests.Provisioning;
using Storefleet.Upgrades;
using Xunit.Abstractions;

namespace Storefleet.Tests.Upgrades;

/// <summary>
/// Two real worker processes (role "worker", each with a rollout driver) on one PostgreSQL database, killed with
/// SIGKILL at random moments while they carry a rollout of 60 stores through three waves, then restarted.
/// </summary>
public class RolloutCrashTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task ARolloutWhoseWorkersAreKilledAtRandomMomentsCompletesAndNoWaveIsStartedTwice()
    {
        TestServices.Require(Db.Postgres);
        var dir = Directory.CreateTempSubdirectory("storefleet-rollout-crash-").FullName;
        var stateFile = Path.Combine(dir, "cluster.json");
        await using var api = new TestApp(Db.Postgres, Engine.Fast(Db.Postgres, more: new Dictionary<string, string?>
        {
            ["Roles"] = "api",
            ["Cluster:Simulated:StateFile"] = stateFile,
        }));
        var ana = await api.ClientFor("ana@example.com");
        var admin = await api.ClientFor("root@example.com", Storefleet.Auth.Roles.Admin);
        for (var i = 0; i < 60; i++)
            (await ana.PostJson("/stores", new { name = $"Crash {i}" })).EnsureSuccessStatusCode();
        using (var first = CrashTests.StartWorker(api, stateFile, dir))
        {
            await api.WaitUntil(async db => await db.Stores.CountAsync(s => s.Phase == StorePhase.Ready) == 60, TimeSpan.FromSeconds(90), "all 60 stores are Ready");
            first.Kill();
            await first.WaitForExitAsync();
        }

        var rollout = await admin.StartRollout(new { toVersion = "0.2.0", waves = new[] { 10, 40, 100 } });
        var random = new Random(20261201);
        var kills = 0;
        for (var round = 0; round < 15 && !await Completed(api, rollout.Id); round++)
        {
            using var a = CrashTests.StartWorker(api, stateFile, dir);
            using var b = CrashTests.StartWorker(api, stateFile, dir);
            await Task.Delay(random.Next(1500, 3500));
            foreach (var worker in random.Next(3) == 0 ? new[] { a } : new[] { a, b })
            {
                worker.Kill(); // SIGKILL: leases and half-made transitions left behind
                await worker.WaitForExitAsync();
                kills++;
            }
            if (!b.HasExited)
            {
                await Task.Delay(random.Next(200, 1200));
                b.Kill();
                await b.WaitForExitAsync();
                kills++;
            }
        }
        using (var survivor = CrashTests.StartWorker(api, stateFile, dir))
        {
            await api.WaitForRollout(rollout.Id, RolloutState.Completed, seconds: 120);
            survivor.Kill();
            await survivor.WaitForExitAsync();
        }

        output.WriteLine($"workers killed {kills} times");
        Assert.True(kills >= 6, $"only {kills} kills: the test did not exercise crashes");
        var done = await admin.Rollout(rollout.Id);
        Assert.Equal([6, 18, 36], done.Waves.Select(w => w.Stores));
        Assert.All(done.Waves, w => Assert.Equal(WaveState.Succeeded, w.State));
        foreach (var (before, after) in done.Waves.Zip(done.Waves.Skip(1)))
            Assert.True(after.StartedAt >= before.FinishedAt, "a wave started before the previous one passed");
        await using var db = api.NewDb();
        Assert.Equal(60, await db.Stores.CountAsync(s => s.Phase == StorePhase.Ready && s.RunningChartVersion == "0.2.0"));
        // Each store was given the new version exactly once: no wave was started twice.
        var requests = await db.StoreEvents.Where(e => e.Reason == "UpgradeRequested").GroupBy(e => e.StoreId).Select(g => g.Count()).ToListAsync();
        Assert.Equal(60, requests.Count);
        Assert.All(requests, n => Assert.Equal(1, n));
        // And with the wave's own start time: a second start would have stamped a later one.
        var stamped = await db.RolloutStores.Where(r => r.RolloutId == rollout.Id).Select(r => new { r.Wave, r.UpgradedAt }).ToListAsync();
        Assert.All(stamped, s => Assert.Equal(done.Waves[s.Wave].StartedAt, s.UpgradedAt));
        Directory.Delete(dir, recursive: true);
    }

    private static async Task<bool> Completed(TestApp api, Guid id)
    {
        await using var db = api.NewDb();
        return await db.Rollouts.AnyAsync(r => r.Id == id && r.State == RolloutState.Completed);
    }
}
