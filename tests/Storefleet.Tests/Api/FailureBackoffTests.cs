using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Storefleet.RateLimiting;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>Sign-in back-off and leased slots behave the same on both rate-limit stores.</summary>
public class FailureBackoffTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

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
        var clock = new ManualClock();
        var store = new InMemoryRateLimitStore(clock);
        var observed = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var after = await store.RecordFailureAsync("k", Policy, default);
            observed.Add(after.RetryAfter.TotalMilliseconds);
            var check = await store.CheckBackoffAsync("k", default);
            Assert.Equal(after.RetryAfter == TimeSpan.Zero, check.Allowed);
            clock.Now += after.RetryAfter;
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
            var after = await store.RecordFailureAsync(key, Policy, default);
            observed.Add(after.RetryAfter.TotalMilliseconds);
            var check = await store.CheckBackoffAsync(key, default);
            Assert.Equal(after.RetryAfter == TimeSpan.Zero, check.Allowed);
            await Task.Delay(after.RetryAfter + TimeSpan.FromMilliseconds(20));
            Assert.True((await store.CheckBackoffAsync(key, default)).Allowed, "the block must end when its delay has passed");
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
        if (onRedis)
        {
            TestServices.RequireRedis();
            redis = await ConnectionMultiplexer.ConnectAsync(TestServices.Redis!);
            store = new RedisRateLimitStore(redis, NullLogger<RedisRateLimitStore>.Instance);
        }
        else store = new InMemoryRateLimitStore(TimeProvider.System);
        var key = $"streams:{Guid.NewGuid():N}";
        var lease = TimeSpan.FromSeconds(2); // margins of 0.4 s and more: a busy machine must not turn the timing around

        Assert.True(await store.TryTakeSlotAsync(key, "a", 2, lease, default));
        Assert.True(await store.TryTakeSlotAsync(key, "b", 2, lease, default));
        Assert.False(await store.TryTakeSlotAsync(key, "c", 2, lease, default));
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await store.RenewSlotAsync(key, "a", lease, default); // a lives on, b (a crashed replica) does not
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.True(await store.TryTakeSlotAsync(key, "c", 2, lease, default));
        Assert.False(await store.TryTakeSlotAsync(key, "d", 2, lease, default));
        await store.ReleaseSlotAsync(key, "a");
        Assert.True(await store.TryTakeSlotAsync(key, "d", 2, lease, default));
        if (redis is not null) await redis.DisposeAsync();
    }
}
