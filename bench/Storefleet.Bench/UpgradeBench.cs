using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using Storefleet.Auth;
using Storefleet.Stores;
using Storefleet.Upgrades;

/// <summary>
/// A fleet upgrade of N stores in waves, through the real API and one worker, against the twin's time-to-ready of one
/// store's upgrade (measured the same way, on probe stores upgraded one at a time, median of three). The target is
/// a rollout that takes at most 1.3 × (waves × one time-to-ready): the gates and the driver add little on top of the
/// waiting a health-gated rollout cannot avoid.
/// </summary>
static class UpgradeBench
{
    public static async Task<int> Run(string pg, int workerPid, string api, int count, int[] waves)
    {
        var owner = await Bench.EnsureOwner(pg);
        Console.WriteLine($"provisioning {count} stores and 3 probes on 0.1.0 (not measured)");
        await Bench.InsertStores(pg, owner, 3, "probe");
        await Bench.InsertStores(pg, owner, count, "fleet");
        await Bench.WaitUntil(pg, "SELECT count(*) FROM \"Stores\" WHERE \"Phase\" = 'Ready' AND \"RunningChartVersion\" = '0.1.0'", count + 3, TimeSpan.FromMinutes(10), "Ready");

        // One store's upgrade, as a wave gives it: the new version and a new generation, then Ready on it again.
        // The wake-up names a sender ("bench"): the notifier ignores an empty one.
        var probes = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            await Bench.Execute(pg, $"""
                UPDATE "Stores" SET "ChartVersion" = '0.2.0', "Generation" = "Generation" + 1, "Phase" = 'Provisioning', "DueAt" = now(), "UpdatedAt" = now()
                WHERE "Slug" = 'probe-{i}'; SELECT pg_notify('storefleet_queue', 'bench');
                """);
            await Bench.WaitUntil(pg, $"SELECT count(*) FROM \"Stores\" WHERE \"Slug\" = 'probe-{i}' AND \"Phase\" = 'Ready' AND \"RunningChartVersion\" = '0.2.0'", 1, TimeSpan.FromMinutes(5), "probe Ready");
            probes.Add(clock.Elapsed.TotalSeconds);
        }
        probes.Sort();
        var one = probes[1];

        using var http = new HttpClient { BaseAddress = new Uri(api) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await AdminToken(pg));
        var cpu0 = Bench.CpuSeconds(workerPid);
        var total = Stopwatch.StartNew();
        var response = await http.PostAsJsonAsync("/admin/upgrades", new { toVersion = "0.2.0", fromVersion = "0.1.0", waves, maxFailures = 0 });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /admin/upgrades: {(int)response.StatusCode} {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
        await Bench.WaitUntil(pg, $"SELECT count(*) FROM \"Rollouts\" WHERE \"Id\" = '{id}' AND \"State\" = 'Completed'", 1, TimeSpan.FromSeconds(one * waves.Length * 5 + 120), "rollout Completed");
        var took = total.Elapsed.TotalSeconds;
        var cpu = Bench.CpuSeconds(workerPid) - cpu0;

        await using var db = Bench.Db(pg);
        var done = await db.RolloutWaves.AsNoTracking().Where(w => w.RolloutId == id).OrderBy(w => w.Index).ToListAsync();
        var rollout = await db.Rollouts.AsNoTracking().SingleAsync(r => r.Id == id);
        var budget = one * waves.Length;
        Console.WriteLine($"stores upgraded: {count} in {waves.Length} waves ({string.Join("/", waves)} %)");
        Console.WriteLine($"one store's upgrade time-to-ready (median of 3 probes): {one:0.00} s (probes: {string.Join(", ", probes.Select(p => p.ToString("0.00")))})");
        foreach (var w in done)
            Console.WriteLine($"  wave {w.Index + 1}: {w.Stores,4} stores, {(w.FinishedAt - w.StartedAt)!.Value.TotalSeconds:0.00} s " +
                              $"(started {(w.StartedAt - rollout.CreatedAt)!.Value.TotalSeconds:0.00} s after the rollout was created)");
        Console.WriteLine($"  completed {(rollout.FinishedAt - rollout.CreatedAt)!.Value.TotalSeconds:0.00} s after it was created");
        Console.WriteLine($"rollout time to complete: {took:0.00} s; sum of one time-to-ready per wave: {budget:0.00} s; ratio {took / budget:0.00} (target <= 1.30)");
        Console.WriteLine($"worker CPU during the rollout: {cpu:0.00} s, {cpu * 1000 / count:0.00} ms per upgraded store");
        return took / budget <= 1.3 ? 0 : 1;
    }

    /// <summary>An administrator and a token signed with the bench key (the API runs with the same key).</summary>
    private static async Task<string> AdminToken(string pg)
    {
        await using var db = Bench.Db(pg);
        var admin = new User { Id = Guid.CreateVersion7(), Email = $"bench-admin-{Guid.NewGuid():N}@example.com", PasswordHash = "unused", Role = Roles.Admin, CreatedAt = DateTime.UtcNow };
        db.Users.Add(admin);
        await db.SaveChangesAsync();
        var issuer = new TokenIssuer(new AuthOptions(), new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Bench.SigningKey)));
        return issuer.Issue(admin, DateTime.UtcNow).Token;
    }
}
