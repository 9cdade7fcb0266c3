using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Storefleet.RateLimiting;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>Sign-in back-off and leased slots behave the same on both rate-limit stores.</summary>
public class FailureBackoffTests
{
    /// <summary>Redis stamps blocks and leases with its own clock in whole milliseconds; ours may read up to this much behind it.</summary>
    private static readonly TimeSpan RedisClockGrain = TimeSpan.FromMilliseconds(2);

    public static TheoryData<int, int> Delays => new()
    {
        // failures in a row -> delay (ms) with 3 free attempts, 100 ms first delay, 1 s cap
        { 1, 0 }, { 2, 0 }, { 3, 100 }, { 4, 200 }, { 5, 400 }, { 6, 800 }, { 7, 1000 }, { 40, 1000 },
    };

    private static readonly FailureBackoff Policy = new() { FreeAttempts = 3, FirstDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };

    [Theory, MemberData(nameof(Delays))]
    public void DelaysDoubleAfterTheFreeAttemptsUpToTheCap(int failures, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Policy.DelayAfter(failures));

    [Fact]
    public async Task TheInMemoryStoreBlocksForTheGrowingDelayAndForgetsOnReset()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        var store = new InMemoryRateLimitStore(clock);
        var observed = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var after = await store.RecordFailureAsync("k", Policy, default);
            observed.Add(after.RetryAfter.TotalMilliseconds);
            var check = await store.CheckBackoffAsync("k", default);
            Assert.Equal(after.RetryAfter == TimeSpan.Zero, check.Allowed);
            clock.Advance(after.RetryAfter);
            Assert.True((await store.CheckBackoffAsync("k", default)).Allowed, "the block must end when its delay has passed");
        }
        await store.ResetBackoffAsync("k", default);
        var fresh = await store.RecordFailureAsync("k", Policy, default);

        Assert.Equal([0d, 0, 100, 200, 400], observed);
        Assert.True(fresh.Allowed);
        Assert.True((await store.CheckBackoffAsync("other", default)).Allowed);
    }

    [SkippableFact]
    public async Task TheRedisStoreBlocksForTheGrowingDelayAndForgetsOnReset()
    {
        TestServices.RequireRedis();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestServices.Redis!);
        var store = new RedisRateLimitStore(redis, NullLogger<RedisRateLimitStore>.Instance);
        var key = $"test:{Guid.NewGuid():N}";
        var observed = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            // Redis keeps time by its own clock, which no test can move: watch the block end, and check it did not end early.
            var sinceFailure = Stopwatch.StartNew(); // started before Redis stamps the failure, so the block cannot end sooner than its delay after this
            var after = await store.RecordFailureAsync(key, Policy, default);
            observed.Add(after.RetryAfter.TotalMilliseconds);
            var check = await store.CheckBackoffAsync(key, default);
            Assert.Equal(after.RetryAfter == TimeSpan.Zero, check.Allowed);
            await Poll.Until(async () => (await store.CheckBackoffAsync(key, default)).Allowed, after.RetryAfter + TimeSpan.FromSeconds(10), "the block ends");
            Assert.True(sinceFailure.Elapsed >= after.RetryAfter - RedisClockGrain, $"the block ended after {sinceFailure.Elapsed.TotalMilliseconds:0} ms, before its delay of {after.RetryAfter.TotalMilliseconds:0} ms");
        }
        await store.ResetBackoffAsync(key, default);
        var fresh = await store.RecordFailureAsync(key, Policy, default);

        Assert.Equal([0d, 0, 100, 200, 400], observed);
        Assert.True(fresh.Allowed);
    }

    [SkippableTheory, InlineData(false), InlineData(true)]
    public async Task ASlotWhoseLeaseRanOutIsFreeAgain(bool onRedis)
    {
        IRateLimitStore store;
        ConnectionMultiplexer? redis = null;
        // In memory, time is a fake clock the test moves; Redis keeps time by its own clock, so there the test
        // watches for the lease to run out and checks it did not run out early.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        if (onRedis)
        {
            TestServices.RequireRedis();
            redis = await ConnectionMultiplexer.ConnectAsync(TestServices.Redis!);
            store = new RedisRateLimitStore(redis, NullLogger<RedisRateLimitStore>.Instance);
        }
        else store = new InMemoryRateLimitStore(clock);
        var key = $"streams:{Guid.NewGuid():N}";
        var lease = TimeSpan.FromSeconds(2); // long enough that a busy machine cannot let it run out between the first three calls
        Task<bool> Take(string slot) => store.TryTakeSlotAsync(key, slot, 2, lease, default).AsTask();

        var sinceTaken = Stopwatch.StartNew(); // started before b's lease, so on Redis b's slot cannot free sooner than a lease after this
        Assert.True(await Take("a"));
        Assert.True(await Take("b"));
        Assert.False(await Take("c"));
        await store.RenewSlotAsync(key, "a", TimeSpan.FromMinutes(1), default); // a lives on, b (a crashed replica) does not
        if (!onRedis)
        {
            clock.Advance(lease - TimeSpan.FromMilliseconds(1));
            Assert.False(await Take("c"), "b's slot is held until its lease runs out");
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        await Poll.Until(() => Take("c"), TimeSpan.FromSeconds(10), "b's lease runs out and c gets its slot");
        if (onRedis) Assert.True(sinceTaken.Elapsed >= lease - RedisClockGrain, $"b's slot was free after {sinceTaken.Elapsed.TotalMilliseconds:0} ms, before its lease ran out");
        Assert.False(await Take("d"));
        await store.ReleaseSlotAsync(key, "a");
        Assert.True(await Take("d"));
        if (redis is not null) await redis.DisposeAsync();
    }
}
