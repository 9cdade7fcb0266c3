using System.Net;
using Microsoft.EntityFrameworkCore;
using Storefleet.Secrets;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>Every expensive thing has a limit, on the in-memory store and on Redis, answered with 429 and Retry-After.</summary>
public class LimitTests
{
    public enum Backend { InMemory, Redis }

    public static TheoryData<Backend> Backends => [Backend.InMemory, Backend.Redis];

    private static TestApp App(Backend backend, Dictionary<string, string?> settings)
    {
        if (backend == Backend.Redis)
        {
            TestServices.RequireRedis();
            settings["ConnectionStrings:Redis"] = TestServices.Redis;
        }
        settings.TryAdd("Roles", "api");
        return new TestApp(settings: settings);
    }

    private static async Task AssertTooManyRequests(HttpResponseMessage response)
    {
        var problem = await response.AssertProblem(429);
        Assert.Contains("Try again in", problem.Detail);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 without Retry-After");
    }

    [SkippableTheory, MemberData(nameof(Backends))]
    public async Task ReadsArePerUserLimited(Backend backend)
    {
        await using var app = App(backend, new() { ["RateLimits:Reads:Capacity"] = "5", ["RateLimits:Reads:PerMinute"] = "1" });
        var ana = await app.ClientFor($"ana-{Guid.NewGuid():N}@example.com");
        var bob = await app.ClientFor($"bob-{Guid.NewGuid():N}@example.com");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) statuses.Add((await ana.GetAsync(i % 2 == 0 ? "/stores" : "/me")).StatusCode);
        var limited = await ana.GetAsync("/stores");

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        await AssertTooManyRequests(limited);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/stores")).StatusCode);
        // changes have a bucket of their own
        Assert.Equal(HttpStatusCode.Accepted, (await ana.PostJson("/stores", new { name = "Still Allowed" })).StatusCode);
    }

    [SkippableTheory, MemberData(nameof(Backends))]
    public async Task AdminReadsAreLimitedToo(Backend backend)
    {
        await using var app = App(backend, new() { ["RateLimits:Reads:Capacity"] = "2", ["RateLimits:Reads:PerMinute"] = "1" });
        var admin = await app.ClientFor($"root-{Guid.NewGuid():N}@example.com", Storefleet.Auth.Roles.Admin);

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/stores")).StatusCode);
        await AssertTooManyRequests(await admin.GetAsync("/admin/audit"));
    }

    [SkippableTheory, MemberData(nameof(Backends))]
    public async Task CredentialRevealsArePerUserLimitedAndAuditedOnlyWhenServed(Backend backend)
    {
        await using var app = App(backend, new() { ["RateLimits:CredentialReveals:Capacity"] = "3", ["RateLimits:CredentialReveals:PerMinute"] = "1" });
        var ana = await app.ClientFor($"ana-{Guid.NewGuid():N}@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await using (var db = app.NewDb())
        {
            var secret = app.Service<CredentialProtector>().Protect(store.Id, "s3cret-password-1");
            await db.Stores.Where(s => s.Id == store.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.AdminPasswordProtected, secret).SetProperty(x => x.AdminUser, "storeadmin"));
        }

        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await ana.GetAsync($"/stores/{store.Id}/credentials")).StatusCode);
        var limited = await ana.GetAsync($"/stores/{store.Id}/credentials");

        await AssertTooManyRequests(limited);
        Assert.Equal(HttpStatusCode.OK, (await ana.GetAsync($"/stores/{store.Id}")).StatusCode);
        await using var data = app.NewDb();
        Assert.Equal(3, await data.AuditLog.CountAsync(a => a.Action == "store.credentials.read"));
    }

    [SkippableTheory, MemberData(nameof(Backends))]
    public async Task TheSixthLiveEventStreamOfAUserGets429AndClosingOneFreesASlot(Backend backend)
    {
        await using var app = App(backend, new());
        var ana = await app.ClientFor($"ana-{Guid.NewGuid():N}@example.com");
        var bob = await app.ClientFor($"bob-{Guid.NewGuid():N}@example.com");

        var open = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            var response = await ana.GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            open.Add(response);
        }
        using var sixth = await ana.GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);
        using var bobs = await bob.GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);

        await AssertTooManyRequests(sixth);
        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode);

        open[0].Dispose(); // the client goes away: its slot is released
        HttpStatusCode again = default;
        for (var i = 0; i < 50 && again != HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            var retry = await ana.GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);
            again = retry.StatusCode;
            if (again == HttpStatusCode.OK) open.Add(retry); else retry.Dispose();
        }
        Assert.Equal(HttpStatusCode.OK, again);
        foreach (var response in open) response.Dispose();
    }

    [SkippableFact]
    public async Task EventStreamsAreCountedAcrossApiReplicasWithRedis()
    {
        TestServices.RequireRedis();
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = TestServices.Redis, ["Roles"] = "api", ["RateLimits:EventStreamsPerUser"] = "2" };
        await using var replicaA = new TestApp(settings: settings);
        await using var replicaB = new TestApp(settings: settings);
        var user = await replicaA.CreateUser($"ana-{Guid.NewGuid():N}@example.com");
        await using (var db = replicaB.NewDb())
        {
            db.Users.Add(new Storefleet.Auth.User { Id = user.Id, Email = user.Email, PasswordHash = user.PasswordHash, CreatedAt = user.CreatedAt, SecurityStamp = user.SecurityStamp });
            await db.SaveChangesAsync();
        }
        var token = replicaA.Service<Storefleet.Auth.TokenIssuer>().Issue(user, DateTime.UtcNow).Token;

        using var onA = await replicaA.ClientWithToken(token).GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);
        using var onB = await replicaB.ClientWithToken(token).GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);
        using var third = await replicaA.ClientWithToken(token).GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], [onA.StatusCode, onB.StatusCode]);
        await AssertTooManyRequests(third);
    }

    [SkippableTheory, MemberData(nameof(Backends))]
    public async Task SignUpsAreLimitedPerAddress(Backend backend)
    {
        await using var app = App(backend, new() { ["RateLimits:SignupsPerIp:Capacity"] = "2", ["RateLimits:SignupsPerIp:PerMinute"] = "0.1" });
        var ip = $"203.0.113.{Random.Shared.Next(1, 250)}";
        var client = app.ClientFrom(ip);
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.PostJson("/auth/register", new { email = $"u{i}-{Guid.NewGuid():N}@example.com", password = "correct-horse-1" })).StatusCode);

        var limited = await client.PostJson("/auth/register", new { email = $"u3-{Guid.NewGuid():N}@example.com", password = "correct-horse-1" });
        var elsewhere = await app.ClientFrom("198.51.100.9").PostJson("/auth/register", new { email = $"u4-{Guid.NewGuid():N}@example.com", password = "correct-horse-1" });

        await AssertTooManyRequests(limited);
        Assert.Equal(HttpStatusCode.Created, elsewhere.StatusCode);
        // signing in from the limited address still works
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJson("/auth/login", new { email = "x@example.com", password = "wrong-horse-1" })).StatusCode);
    }

    [SkippableTheory, MemberData(nameof(Backends))]
    public async Task SignUpsAreLimitedInTotal(Backend backend)
    {
        var settings = new Dictionary<string, string?> { ["RateLimits:SignupsTotal:Capacity"] = "3", ["RateLimits:SignupsTotal:PerMinute"] = "0.1" };
        if (backend == Backend.Redis) TestServices.RequireRedis(); // the total bucket is shared by every test app on this Redis
        await using var app = App(backend, settings);
        if (backend == Backend.Redis) await FlushSignupTotal();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            statuses.Add((await app.ClientFrom($"198.51.100.{10 + i}").PostJson("/auth/register", new { email = $"u{i}-{Guid.NewGuid():N}@example.com", password = "correct-horse-1" })).StatusCode);
        var limited = await app.ClientFrom("198.51.100.99").PostJson("/auth/register", new { email = $"late-{Guid.NewGuid():N}@example.com", password = "correct-horse-1" });

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
        await AssertTooManyRequests(limited);
        if (backend == Backend.Redis) await FlushSignupTotal();
    }

    private static async Task FlushSignupTotal()
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(TestServices.Redis!);
        await redis.GetDatabase().KeyDeleteAsync("storefleet:ratelimit:signup-total");
    }
}
