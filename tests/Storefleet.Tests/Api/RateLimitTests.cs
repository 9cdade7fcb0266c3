using System.Diagnostics;
using System.Net;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

public class RateLimitTests
{
    public enum Backend { InMemory, Redis }

    public static TheoryData<Backend> Backends => [Backend.InMemory, Backend.Redis];

    private static Dictionary<string, string?> Settings(Backend backend, string? redisPrefix = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["RateLimits:Mutations:Capacity"] = "3",
            ["RateLimits:Mutations:PerMinute"] = "0.5",
            ["Stores:DefaultQuota"] = "100",
        };
        if (backend == Backend.Redis) settings["ConnectionStrings:Redis"] = TestServices.Redis;
        return settings;
    }

    [SkippableTheory, MemberData(nameof(Backends))]
    public async Task MutationsBeyondTheBucketGet429WithRetryAfter(Backend backend)
    {
        if (backend == Backend.Redis) TestServices.RequireRedis();
        await using var app = new TestApp(settings: Settings(backend));
        var ana = await app.ClientFor($"ana-{Guid.NewGuid():N}@example.com");

        var results = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++) results.Add(await ana.PostJson("/stores", new { name = $"Shop {i}" }));

        Assert.All(results.Take(3), r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var problem = await results[3].AssertProblem(429);
        Assert.Contains("Try again in", problem.Detail);
        var retryAfter = results[3].Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 120);
        // reads have a bucket of their own
        Assert.Equal(HttpStatusCode.OK, (await ana.GetAsync("/stores")).StatusCode);
    }

    [SkippableFact]
    public async Task TheRedisBucketIsSharedByEveryApiReplica()
    {
        TestServices.RequireRedis();
        await using var replicaA = new TestApp(settings: Settings(Backend.Redis));
        await using var replicaB = new TestApp(settings: Settings(Backend.Redis));
        // The same account on both replicas: same user id, so the same bucket.
        var user = await replicaA.CreateUser($"ana-{Guid.NewGuid():N}@example.com");
        await using (var db = replicaB.NewDb())
        {
            db.Users.Add(new Storefleet.Auth.User { Id = user.Id, Email = user.Email, PasswordHash = user.PasswordHash, CreatedAt = user.CreatedAt, SecurityStamp = user.SecurityStamp });
            await db.SaveChangesAsync();
        }
        var token = replicaA.Service<Storefleet.Auth.TokenIssuer>().Issue(user, DateTime.UtcNow).Token;
        var onA = replicaA.ClientWithToken(token);
        var onB = replicaB.ClientWithToken(token);

        var statuses = new List<HttpStatusCode>
        {
            (await onA.PostJson("/stores", new { name = "Shop A1" })).StatusCode,
            (await onB.PostJson("/stores", new { name = "Shop B1" })).StatusCode,
            (await onA.PostJson("/stores", new { name = "Shop A2" })).StatusCode,
            (await onB.PostJson("/stores", new { name = "Shop B2" })).StatusCode,
        };

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);
    }

    [SkippableFact]
    public async Task TheRedisBucketRefillsOverTime()
    {
        TestServices.RequireRedis();
        await using var app = new TestApp(settings: new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = TestServices.Redis,
            ["RateLimits:Mutations:Capacity"] = "1",
            ["RateLimits:Mutations:PerMinute"] = "120", // one token every 0.5 s
            ["Stores:DefaultQuota"] = "100",
        });
        var ana = await app.ClientFor($"ana-{Guid.NewGuid():N}@example.com");

        // Redis keeps the bucket's time by its own clock, which no test can move: ask until the token is back,
        // and check it did not come back early.
        var sinceTaken = Stopwatch.StartNew(); // started before the token is taken, so the next cannot come sooner than 0.5 s after this
        Assert.Equal(HttpStatusCode.Accepted, (await ana.PostJson("/stores", new { name = "Shop 1" })).StatusCode);
        var limited = await ana.PostJson("/stores", new { name = "Shop 2" });
        HttpResponseMessage? refilled = null;
        await Poll.Until(async () => (refilled = await ana.PostJson("/stores", new { name = "Shop 3" })).StatusCode != HttpStatusCode.TooManyRequests,
            TimeSpan.FromSeconds(10), "the bucket has a token again");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), limited.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.Accepted, refilled!.StatusCode);
        // Redis stamps the bucket in whole milliseconds; our clock may read up to 2 ms behind it.
        Assert.True(sinceTaken.Elapsed >= TimeSpan.FromMilliseconds(498), $"a token came back after {sinceTaken.Elapsed.TotalMilliseconds:0} ms, sooner than one every 0.5 s allows");
    }
}
