using Microsoft.Extensions.Time.Testing;
using Storefleet.RateLimiting;

namespace Storefleet.Tests.Api;

public class InMemoryRateLimitStoreTests
{
    [Fact]
    public async Task SweepingIdleBucketsNeverForgetsOneThatIsStillRefilling()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        var store = new InMemoryRateLimitStore(clock);
        var slow = new TokenBucket { Capacity = 1, PerMinute = 1 };
        var fast = new TokenBucket { Capacity = 1, PerMinute = 60_000 };
        Assert.True((await store.TryTakeAsync("login-account:ana", slow, default)).Allowed);
        for (var i = 0; i < 50_001; i++) await store.TryTakeAsync($"user:{i}", fast, default);

        clock.Advance(TimeSpan.FromMilliseconds(10)); // every fast bucket is full again, the slow one is not
        await store.TryTakeAsync("user:sweeper", fast, default); // over the threshold: sweeps
        var again = await store.TryTakeAsync("login-account:ana", slow, default);

        Assert.False(again.Allowed);
        Assert.InRange(again.RetryAfter.TotalSeconds, 59, 60);
    }
}
