using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Storefleet.Stores;

namespace Storefleet.Tests.Infrastructure;

/// <summary>Settings for a fast, deterministic engine on the simulated twin, and waiting helpers.</summary>
public static class Engine
{
    public static Dictionary<string, string?> Fast(Db db = Db.Sqlite, double faultRate = 0, string timeout = "00:00:08", IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Roles"] = "api,worker",
            ["Stores:DefaultQuota"] = "1000",
            ["Cluster:Mode"] = "simulated",
            ["Cluster:Simulated:StepDelay"] = "00:00:00.005",
            ["Cluster:Simulated:TimeToReady"] = "00:00:00.300",
            ["Cluster:Simulated:NamespaceTerminationDelay"] = "00:00:00.100",
            ["Cluster:Simulated:FaultRate"] = faultRate.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Provisioning:Policy:ProvisioningTimeout"] = timeout,
            ["Provisioning:Policy:PollInterval"] = "00:00:00.050",
            ["Provisioning:Policy:BackoffBase"] = "00:00:00.050",
            ["Provisioning:Policy:BackoffCap"] = "00:00:00.400",
            ["Provisioning:Policy:ResyncInterval"] = "00:00:00.500",
            ["Provisioning:Policy:PendingReleaseGrace"] = "00:00:00.200",
            ["Provisioning:Worker:Concurrency"] = "16",
            ["Provisioning:Worker:LeaseDuration"] = "00:00:05",
            ["Provisioning:Worker:IdlePoll"] = "00:00:00.200",
            ["Provisioning:Metrics:RefreshInterval"] = "00:00:00.200",
        };
        foreach (var (k, v) in more ?? new Dictionary<string, string?>()) settings[k] = v;
        return settings;
    }

    /// <summary>Polls the database until <paramref name="done"/> holds, failing with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntil(this TestApp app, Func<Storefleet.Data.StorefleetDb, Task<bool>> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using (var db = app.NewDb())
                if (await done(db)) return;
            if (clock.Elapsed > timeout) break;
            await Task.Delay(50);
        }
        await using var final = app.NewDb();
        var phases = await final.Stores.GroupBy(s => s.Phase).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
        var stuck = (await final.Stores.AsNoTracking().Where(s => s.Phase != StorePhase.Ready).Take(3).ToListAsync())
            .Select(s => $"{s.Slug}: {s.Phase} {s.Conditions.FirstOrDefault(c => c.Type == "Ready")?.Message}");
        Assert.Fail($"Timed out after {timeout.TotalSeconds:0}s waiting until {what}. Stores by phase: {string.Join(", ", phases.Select(p => $"{p.Key}={p.Count}"))}. For example: {string.Join(" | ", stuck)}");
    }

    public static Task WaitForPhase(this TestApp app, Guid id, StorePhase phase, TimeSpan? timeout = null) =>
        app.WaitUntil(async db => await db.Stores.AnyAsync(s => s.Id == id && s.Phase == phase), timeout ?? TimeSpan.FromSeconds(20), $"store {id} is {phase}");

    public static Task WaitUntilGone(this TestApp app, Guid id, TimeSpan? timeout = null) =>
        app.WaitUntil(async db => !await db.Stores.AnyAsync(s => s.Id == id), timeout ?? TimeSpan.FromSeconds(20), $"store {id} is deleted");
}
