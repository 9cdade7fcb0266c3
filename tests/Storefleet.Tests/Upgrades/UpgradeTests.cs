using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Storefleet.Cluster;
using Storefleet.Provisioning;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;
using Storefleet.Upgrades;

namespace Storefleet.Tests.Upgrades;

/// <summary>Fleet upgrades end to end: API, rollout driver, workers and reconciler on the simulated twin.</summary>
public class UpgradeTests
{
    [Fact]
    public async Task ThreeHundredStoresAreUpgradedInFourHealthGatedWaves()
    {
        await using var app = new TestApp(settings: Fleet.Settings());
        var ana = await app.ClientFor("ana@example.com");
        var admin = await app.ClientFor("root@example.com", Storefleet.Auth.Roles.Admin);
        await app.ReadyStores(ana, 300);

        var started = await admin.StartRollout(new { toVersion = "0.2.0", fromVersion = "0.1.0", waves = new[] { 1, 10, 50, 100 }, maxFailures = 0 });
        await app.WaitForRollout(started.Id, RolloutState.Completed, seconds: 120);

        var done = await admin.Rollout(started.Id);
        Assert.Equal([3, 27, 120, 150], done.Waves.Select(w => w.Stores));
        Assert.All(done.Waves, w => Assert.Equal((WaveState.Succeeded, w.Stores, w.Stores, 0), (w.State, w.Upgraded, w.Ready, w.Failed)));
        // The gate: no wave started before the one before it had every store Ready at the new version.
        foreach (var (before, after) in done.Waves.Zip(done.Waves.Skip(1)))
            Assert.True(after.StartedAt >= before.FinishedAt, $"a wave started at {after.StartedAt:O} before the previous one passed at {before.FinishedAt:O}");
        await using var db = app.NewDb();
        var stores = await db.Stores.AsNoTracking().ToListAsync();
        Assert.All(stores, s => Assert.Equal((StorePhase.Ready, "0.2.0", "0.2.0", (Guid?)null), (s.Phase, s.ChartVersion, s.RunningChartVersion, s.RolloutId)));
        var requested = await db.StoreEvents.Where(e => e.Reason == "UpgradeRequested").GroupBy(e => e.StoreId).Select(g => g.Count()).ToListAsync();
        Assert.Equal(300, requested.Count);
        Assert.All(requested, n => Assert.Equal(1, n));
        var metrics = await app.CreateClient().GetStringAsync("/metrics");
        Assert.Matches("storefleet_upgrade_stores_upgraded_total [1-9]", metrics);
        Assert.Matches("storefleet_upgrade_wave_duration_seconds_count [1-9]", metrics);
        Assert.Contains("storefleet_rollouts{state=\"Completed\"}", metrics);
        var versions = await admin.GetFromJsonAsync<ChartVersionsResponse>("/admin/chart-versions", Json.Options);
        Assert.Equal(300, versions!.Items.Single(v => v.Version == "0.2.0").Stores);
        Assert.Equal(0, versions.Items.Single(v => v.Version == "0.1.0").Stores);
    }

    [SkippableTheory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task ABadVersionFailsInTheFirstWavePausesWithoutTouchingLaterWavesAndRollsBack(Db database)
    {
        TestServices.Require(database);
        await using var app = new TestApp(database, Fleet.Settings(database, badShare: 1.0));
        var ana = await app.ClientFor("ana@example.com");
        var admin = await app.ClientFor("root@example.com", Storefleet.Auth.Roles.Admin);
        await app.ReadyStores(ana, 40);

        var started = await admin.StartRollout(new { toVersion = "0.3.0", waves = new[] { 10, 50, 100 }, maxFailures = 0 });
        await app.WaitForRollout(started.Id, RolloutState.Paused);
        var paused = await admin.Rollout(started.Id);

        Assert.Contains("Paused automatically", paused.Reason);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(paused.Reason, @"shop-\d+ \(Error: "), paused.Reason); // the failing store, by address, with its last message
        Assert.Equal([WaveState.Failed, WaveState.Pending, WaveState.Pending], paused.Waves.Select(w => w.State));
        // The listing is live and the failing store keeps retrying (Error, then Provisioning again): it shows while in Error.
        await app.WaitUntil(async _ => (await admin.Rollout(started.Id)).Waves[0].FailingStores.Count > 0, TimeSpan.FromSeconds(20), "the failing store is listed");
        await using (var db = app.NewDb())
        {
            var later = await db.RolloutStores.Where(r => r.RolloutId == started.Id && r.Wave > 0).Select(r => r.StoreId).ToListAsync();
            Assert.Equal(36, later.Count);
            Assert.Equal(36, await db.Stores.CountAsync(s => later.Contains(s.Id) && s.ChartVersion == "0.1.0" && s.Phase == StorePhase.Ready));
            Assert.False(await db.StoreEvents.AnyAsync(e => later.Contains(e.StoreId) && e.Reason == "UpgradeRequested"));
            Assert.False(await db.RolloutStores.AnyAsync(r => r.RolloutId == started.Id && r.Wave > 0 && r.UpgradedAt != null));
        }

        (await admin.PostAsync($"/admin/upgrades/{started.Id}/rollback", null)).EnsureSuccessStatusCode();
        await app.WaitForRollout(started.Id, RolloutState.RolledBack);

        var rolledBack = await admin.Rollout(started.Id);
        Assert.Equal(new RollbackResponse(4, 4, 0), rolledBack.Rollback);
        await using var after = app.NewDb();
        Assert.Equal(40, await after.Stores.CountAsync(s => s.Phase == StorePhase.Ready && s.ChartVersion == "0.1.0" && s.RunningChartVersion == "0.1.0" && s.RolloutId == null));
        var audit = await after.AuditLog.Where(a => a.Action.StartsWith("upgrade.")).OrderBy(a => a.Id).Select(a => new { a.Action, a.ActorEmail }).ToListAsync();
        Assert.Equal(["upgrade.create", "upgrade.rollback"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal("root@example.com", a.ActorEmail));
    }

    [Fact]
    public async Task ACompletedRolloutCanBeRolledBackAndEveryTouchedStoreIsReadyOnTheOldVersionAgain()
    {
        await using var app = new TestApp(settings: Fleet.Settings());
        var ana = await app.ClientFor("ana@example.com");
        var admin = await app.ClientFor("root@example.com", Storefleet.Auth.Roles.Admin);
        var stores = await app.ReadyStores(ana, 20);
        var started = await admin.StartRollout(new { toVersion = "0.2.0", waves = new[] { 50, 100 } });
        await app.WaitForRollout(started.Id, RolloutState.Completed);

        (await admin.PostAsync($"/admin/upgrades/{started.Id}/rollback", null)).EnsureSuccessStatusCode();
        await app.WaitForRollout(started.Id, RolloutState.RolledBack);

        foreach (var store in stores)
        {
            var now = await ana.GetFromJsonAsync<StoreResponse>($"/stores/{store.Id}", Json.Options);
            Assert.Equal((StorePhase.Ready, "0.1.0", (string?)null), (now!.Status, now.ChartVersion, now.TargetChartVersion));
        }
        var sim = app.Service<SimulatedCluster>();
        await using var db = app.NewDb();
        var upgraded = await db.StoreEvents.Where(e => e.Reason == "Upgraded").Select(e => e.Message).ToListAsync();
        Assert.Equal(20, upgraded.Count(m => m.Contains("Ready on chart 0.2.0 (was 0.1.0)")));
        Assert.Equal(20, upgraded.Count(m => m.Contains("Ready on chart 0.1.0 (was 0.2.0)")));
        Assert.All(stores, s => Assert.Equal(3, sim.Books(s.Slug).Installs));
    }

    [Fact]
    public async Task TheTenantSeesUpgradingToTheNewVersionInTheStoresConditionsAndEvents()
    {
        await using var app = new TestApp(settings: Fleet.Settings(more: new Dictionary<string, string?> { ["Cluster:Simulated:TimeToReady"] = "00:00:03" }));
        var ana = await app.ClientFor("ana@example.com");
        var admin = await app.ClientFor("root@example.com", Storefleet.Auth.Roles.Admin);
        var store = (await app.ReadyStores(ana, 1))[0];

        var started = await admin.StartRollout(new { toVersion = "0.2.0", waves = new[] { 100 } });
        StoreResponse? during = null;
        await app.WaitUntil(async _ =>
        {
            during = await ana.GetFromJsonAsync<StoreResponse>($"/stores/{store.Id}", Json.Options);
            return during!.TargetChartVersion is not null && during.Conditions.Any(c => c.Type == "Upgrading");
        }, TimeSpan.FromSeconds(20), "the store shows its upgrade");
        await app.WaitForRollout(started.Id, RolloutState.Completed);
        var after = await ana.GetFromJsonAsync<StoreResponse>($"/stores/{store.Id}", Json.Options);
        var events = await ana.GetFromJsonAsync<Page<StoreEventResponse>>($"/stores/{store.Id}/events", Json.Options);

        Assert.Equal(("0.1.0", "0.2.0"), (during!.ChartVersion, during.TargetChartVersion));
        Assert.Equal("Upgrading to 0.2.0 (running 0.1.0).", during.Conditions.Single(c => c.Type == "Upgrading").Message);
        Assert.Equal(("0.2.0", (string?)null, StorePhase.Ready), (after!.ChartVersion, after.TargetChartVersion, after.Status));
        Assert.DoesNotContain(after.Conditions, c => c.Type == "Upgrading");
        Assert.Contains(events!.Items, e => e.Reason == "UpgradeRequested" && e.Message.StartsWith("Upgrading to 0.2.0", StringComparison.Ordinal));
        Assert.Contains(events.Items, e => e.Reason == "Upgraded");
    }

    [Fact]
    public async Task PauseResumeAndAbortAreAuditedAndStoresCreatedDuringARolloutGetTheDefaultVersion()
    {
        await using var app = new TestApp(settings: Fleet.Settings());
        var ana = await app.ClientFor("ana@example.com");
        var admin = await app.ClientFor("root@example.com", Storefleet.Auth.Roles.Admin);
        await app.ReadyStores(ana, 10);
        var started = await admin.StartRollout(new { toVersion = "0.2.0", waves = new[] { 20, 100 }, pauseBetweenWaves = "01:00:00" });
        await app.WaitUntil(async db => await db.RolloutWaves.AnyAsync(w => w.RolloutId == started.Id && w.Index == 0 && w.State == WaveState.Succeeded),
            TimeSpan.FromSeconds(30), "the first wave passes");

        var late = await (await ana.PostJson("/stores", new { name = "Late Shop" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await app.WaitForPhase(late.Id, StorePhase.Ready);
        var paused = await (await admin.PostAsync($"/admin/upgrades/{started.Id}/pause", null)).Read<RolloutResponse>(HttpStatusCode.OK);
        await (await admin.PostAsync($"/admin/upgrades/{started.Id}/pause", null)).AssertProblem(409);
        var resumed = await (await admin.PostAsync($"/admin/upgrades/{started.Id}/resume", null)).Read<RolloutResponse>(HttpStatusCode.OK);
        var aborted = await (await admin.PostAsync($"/admin/upgrades/{started.Id}/abort", null)).Read<RolloutResponse>(HttpStatusCode.OK);

        Assert.Equal((RolloutState.Paused, RolloutState.Running, RolloutState.Aborted), (paused.State, resumed.State, aborted.State));
        Assert.Contains("root@example.com", paused.Reason);
        await using var db = app.NewDb();
        var lateStore = await db.Stores.SingleAsync(s => s.Id == late.Id);
        Assert.Equal(("0.1.0", "0.1.0", (Guid?)null), (lateStore.ChartVersion, lateStore.RunningChartVersion, lateStore.RolloutId));
        Assert.Equal(2, await db.Stores.CountAsync(s => s.ChartVersion == "0.2.0"));
        Assert.Equal(0, await db.Stores.CountAsync(s => s.RolloutId != null));
        var audit = await db.AuditLog.Where(a => a.Action.StartsWith("upgrade.")).OrderBy(a => a.Id).Select(a => new { a.Action, a.ActorEmail, a.TargetId }).ToListAsync();
        Assert.Equal(["upgrade.create", "upgrade.pause", "upgrade.resume", "upgrade.abort"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal(("root@example.com", started.Id.ToString()), (a.ActorEmail, a.TargetId)));
    }

    [Fact]
    public async Task AResumedRolloutRetriesItsFailedStoresOnceTheCauseIsFixed()
    {
        await using var app = new TestApp(settings: Fleet.Settings(badShare: 1.0, more: new Dictionary<string, string?> { ["Provisioning:Policy:ProvisioningTimeout"] = "00:00:02" }));
        var ana = await app.ClientFor("ana@example.com");
        var admin = await app.ClientFor("root@example.com", Storefleet.Auth.Roles.Admin);
        await app.ReadyStores(ana, 10);
        var started = await admin.StartRollout(new { toVersion = "0.3.0", waves = new[] { 20, 100 } });
        await app.WaitForRollout(started.Id, RolloutState.Paused);
        // Both stores of the first wave gave up (a store still retrying would pick the fix up by itself).
        await app.WaitUntil(async db => await db.Stores.CountAsync(s => s.ChartVersion == "0.3.0" && s.Phase == StorePhase.Error && s.DueAt == null) == 2,
            TimeSpan.FromSeconds(30), "the first wave's stores give up");

        app.Service<SimulatedClusterOptions>().ChartVersions["0.3.0"].SetupFailureShare = 0; // the chart was fixed
        (await admin.PostAsync($"/admin/upgrades/{started.Id}/resume", null)).EnsureSuccessStatusCode();
        await app.WaitForRollout(started.Id, RolloutState.Completed);

        await using var db = app.NewDb();
        Assert.Equal(10, await db.Stores.CountAsync(s => s.Phase == StorePhase.Ready && s.RunningChartVersion == "0.3.0"));
        Assert.Equal(2, await db.StoreEvents.CountAsync(e => e.Reason == "UpgradeRetried"));
    }

    [Fact]
    public async Task ABadRolloutRequestIsRefusedWithTheFieldAndTheReason()
    {
        await using var app = new TestApp(settings: Fleet.Settings());
        var ana = await app.ClientFor("ana@example.com");
        var admin = await app.ClientFor("root@example.com", Storefleet.Auth.Roles.Admin);

        var noStores = await admin.PostJson("/admin/upgrades", new { toVersion = "0.2.0", waves = new[] { 100 } });
        await app.ReadyStores(ana, 2);
        var unknown = await (await admin.PostJson("/admin/upgrades", new { toVersion = "9.9.9", waves = new[] { 100 } })).AssertProblem(400);
        var badWaves = await (await admin.PostJson("/admin/upgrades", new { toVersion = "0.2.0", waves = new[] { 50, 40 } })).AssertProblem(400);
        var notToHundred = await (await admin.PostJson("/admin/upgrades", new { toVersion = "0.2.0", waves = new[] { 10, 50 } })).AssertProblem(400);
        var negative = await (await admin.PostJson("/admin/upgrades", new { toVersion = "0.2.0", waves = new[] { 100 }, maxFailures = -1 })).AssertProblem(400);
        var same = await (await admin.PostJson("/admin/upgrades", new { toVersion = "0.2.0", fromVersion = "0.2.0", waves = new[] { 100 } })).AssertProblem(400);
        var first = await admin.StartRollout(new { toVersion = "0.2.0", waves = new[] { 50, 100 }, pauseBetweenWaves = "00:10:00" });
        var second = await (await admin.PostJson("/admin/upgrades", new { toVersion = "0.3.0", fromVersion = "0.1.0", waves = new[] { 100 } })).AssertProblem(409);
        var missing = await (await admin.PostAsync($"/admin/upgrades/{Guid.NewGuid()}/pause", null)).AssertProblem(404);

        await noStores.AssertProblem(409);
        Assert.Contains("0.1.0, 0.2.0, 0.3.0", unknown.Errors!["toVersion"][0]);
        Assert.Contains("strictly increasing", badWaves.Errors!["waves"][0]);
        Assert.Contains("ending at 100", notToHundred.Errors!["waves"][0]);
        Assert.True(negative.Errors!.ContainsKey("maxFailures"));
        Assert.True(same.Errors!.ContainsKey("fromVersion"));
        Assert.Contains(first.Id.ToString(), second.Detail);
        Assert.Contains("GET /admin/upgrades", missing.Detail);
    }

    [Fact]
    public async Task TenantsGetNotFoundOnEveryAdministratorRoute()
    {
        await using var app = new TestApp(settings: Fleet.Settings());
        var ana = await app.ClientFor("ana@example.com");
        var anonymous = app.CreateClient();
        var routes = app.Service<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints.OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/admin", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods
                .Select(m => (Method: m, Path: e.RoutePattern.RawText!.Replace("{id:guid}", Guid.NewGuid().ToString()))))
            .ToList();

        Assert.Contains(routes, r => r.Path == "/admin/chart-versions");
        Assert.Contains(routes, r => r.Path.EndsWith("/rollback", StringComparison.Ordinal));
        foreach (var (method, path) in routes)
        {
            var request = () => new HttpRequestMessage(new HttpMethod(method), path)
                { Content = method == "POST" ? JsonContent.Create(new { toVersion = "0.2.0", waves = new[] { 100 } }) : null };
            await (await ana.SendAsync(request())).AssertProblem(404);
            await (await anonymous.SendAsync(request())).AssertProblem(401);
        }
        Assert.Equal(0, (await app.CountRows()).Audit);
    }
}
