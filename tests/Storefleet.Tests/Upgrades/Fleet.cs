using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;
using Storefleet.Upgrades;

namespace Storefleet.Tests.Upgrades;

/// <summary>Helpers for fleet upgrade tests: a fleet of Ready stores, starting a rollout, waiting for its state.</summary>
public static class Fleet
{
    /// <summary>Engine.Fast with the twin's chart versions: 0.2.0 healthy, and 0.3.0 whose setup fails for <paramref name="badShare"/> of stores.</summary>
    public static Dictionary<string, string?> Settings(Db db = Db.Sqlite, double badShare = 1.0, IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:Simulated:ChartVersions:0.3.0:Synthetic"] = "true",
            ["Cluster:Simulated:ChartVersions:0.3.0:SetupFailureShare"] = badShare.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in more ?? new Dictionary<string, string?>()) settings[k] = v;
        return Engine.Fast(db, timeout: "00:00:20", more: settings);
    }

    /// <summary>Creates <paramref name="count"/> stores through the API and waits until all are Ready.</summary>
    public static async Task<List<StoreResponse>> ReadyStores(this TestApp app, HttpClient tenant, int count, string prefix = "Shop")
    {
        var stores = new List<StoreResponse>();
        for (var i = 0; i < count; i++)
            stores.Add(await (await tenant.PostJson("/stores", new { name = $"{prefix} {i}" })).Read<StoreResponse>(HttpStatusCode.Accepted));
        var ids = stores.Select(s => s.Id).ToList();
        await app.WaitUntil(async db => await db.Stores.CountAsync(s => ids.Contains(s.Id) && s.Phase == StorePhase.Ready) == count,
            TimeSpan.FromSeconds(30 + count / 5), $"all {count} stores are Ready");
        return stores;
    }

    public static async Task<RolloutResponse> StartRollout(this HttpClient admin, object body) =>
        await (await admin.PostJson("/admin/upgrades", body)).Read<RolloutResponse>(HttpStatusCode.Accepted);

    public static async Task<RolloutResponse> Rollout(this HttpClient admin, Guid id) =>
        (await admin.GetFromJsonAsync<RolloutResponse>($"/admin/upgrades/{id}", Json.Options))!;

    public static Task WaitForRollout(this TestApp app, Guid id, RolloutState state, int seconds = 60) =>
        app.WaitUntil(async db => await db.Rollouts.AnyAsync(r => r.Id == id && r.State == state), TimeSpan.FromSeconds(seconds), $"rollout {id} is {state}");
}
