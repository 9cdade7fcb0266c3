using System.Collections.Concurrent;
using Microsoft.AspNetCore.Mvc;
using StackExchange.Redis;
using Storefleet.Auth;

namespace Storefleet.RateLimiting;

/// <summary>A token bucket: up to <see cref="Capacity"/> requests at once, refilled at <see cref="PerMinute"/>.</summary>
public sealed record TokenBucket
{
    public int Capacity { get; init; }
    public double PerMinute { get; init; }
    public double PerMillisecond => PerMinute / 60_000d;
}

public sealed class RateLimitOptions
{
    /// <summary>Per user, on every mutating endpoint of the stores API.</summary>
    public TokenBucket Mutations { get; set; } = new() { Capacity = 30, PerMinute = 30 };
    /// <summary>Per source IP, on login and registration.</summary>
    public TokenBucket AuthPerIp { get; set; } = new() { Capacity = 20, PerMinute = 10 };
    /// <summary>Per account (email), on login: slows password guessing against one account from many IPs.</summary>
    public TokenBucket LoginPerAccount { get; set; } = new() { Capacity = 5, PerMinute = 2 };
}

public readonly record struct RateLimitDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>Where token buckets live: this process, or Redis so that every API replica shares them.</summary>
public interface IRateLimitStore
{
    ValueTask<RateLimitDecision> TryTakeAsync(string key, TokenBucket bucket, CancellationToken ct);
}

public static class RateLimits
{
    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<RateLimitOptions>(builder.Configuration.GetSection("RateLimits"));
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(redis))
        {
            builder.Services.AddSingleton<IRateLimitStore, InMemoryRateLimitStore>();
        }
        else
        {
            builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
            {
                var config = ConfigurationOptions.Parse(redis);
                config.AbortOnConnectFail = false;
                return ConnectionMultiplexer.Connect(config);
            });
            builder.Services.AddSingleton<IRateLimitStore, RedisRateLimitStore>();
        }
        return builder;
    }

    /// <summary>Per-user token bucket on the group's mutating endpoints (reads are not limited).</summary>
    public static RouteGroupBuilder RequirePerUserRateLimit(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)) return await next(ctx);
            if (http.User.Identity?.IsAuthenticated != true) return await next(ctx);

            var services = http.RequestServices;
            var bucket = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value.Mutations;
            var decision = await services.GetRequiredService<IRateLimitStore>()
                .TryTakeAsync($"user:{http.User.UserId()}", bucket, http.RequestAborted);
            return decision.Allowed ? await next(ctx) : TooManyRequests(http, decision, "You are changing stores too quickly.");
        });
        return group;
    }

    /// <summary>429 with Retry-After (whole seconds, at least 1) and a problem that says when to try again.</summary>
    public static IResult TooManyRequests(HttpContext http, RateLimitDecision decision, string what)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests",
            Detail = $"{what} Try again in {seconds} second{(seconds == 1 ? "" : "s")}.",
            Extensions = { ["retryAfterSeconds"] = seconds },
        });
    }
}

/// <summary>Buckets in this process: correct for one replica. Idle buckets are swept so memory stays bounded.</summary>
public sealed class InMemoryRateLimitStore(TimeProvider clock) : IRateLimitStore
{
    private const int SweepAbove = 50_000;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new();

    public ValueTask<RateLimitDecision> TryTakeAsync(string key, TokenBucket bucket, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (_buckets.Count > SweepAbove) Sweep(now);
        var state = _buckets.GetOrAdd(key, _ => new Bucket(bucket.Capacity, now));
        lock (state)
        {
            state.Tokens = Math.Min(bucket.Capacity, state.Tokens + (now - state.UpdatedMs) * bucket.PerMillisecond);
            state.UpdatedMs = now;
            state.FullAtMs = now + (long)((bucket.Capacity - state.Tokens + 1) / bucket.PerMillisecond);
            if (state.Tokens >= 1)
            {
                state.Tokens -= 1;
                return ValueTask.FromResult(new RateLimitDecision(true, TimeSpan.Zero));
            }
            var wait = (1 - state.Tokens) / bucket.PerMillisecond;
            return ValueTask.FromResult(new RateLimitDecision(false, TimeSpan.FromMilliseconds(wait)));
        }
    }

    // A bucket that has refilled completely is indistinguishable from a new one: dropping it changes nothing.
    private void Sweep(long now)
    {
        foreach (var (key, state) in _buckets)
            if (now >= Volatile.Read(ref state.FullAtMs)) _buckets.TryRemove(key, out _);
    }

    private sealed class Bucket(double tokens, long updatedMs)
    {
        public double Tokens = tokens;
        public long UpdatedMs = updatedMs;
        /// <summary>When this bucket will be full again (its own policy's refill rate).</summary>
        public long FullAtMs = updatedMs;
    }
}

/// <summary>
/// Buckets in Redis, updated by one Lua script so that take-a-token is atomic across API replicas.
/// The script reads Redis' own clock, so replicas with skewed clocks still agree.
/// </summary>
public sealed class RedisRateLimitStore(IConnectionMultiplexer redis, ILogger<RedisRateLimitStore> log) : IRateLimitStore
{
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local capacity = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(state[1]) or capacity
        local ts = tonumber(state[2]) or now
        tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
        local allowed = 0
        local wait = 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          wait = math.ceil((1 - tokens) / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
        return {allowed, wait}
        """;

    public async ValueTask<RateLimitDecision> TryTakeAsync(string key, TokenBucket bucket, CancellationToken ct)
    {
        try
        {
            var result = (RedisResult[]?)await redis.GetDatabase().ScriptEvaluateAsync(
                Script, [new RedisKey("storefleet:ratelimit:" + key)], [bucket.Capacity, bucket.PerMillisecond]);
            return new RateLimitDecision((long)result![0] == 1, TimeSpan.FromMilliseconds((long)result[1]));
        }
        catch (RedisException e)
        {
            // Fail open: an unreachable Redis must not take the whole API down with it. The outage is
            // logged (and visible on /readyz of Redis-backed deployments) rather than hidden.
            log.LogWarning(e, "Rate limit store unreachable; allowing request for {Kind}", key.Split(':')[0]);
            return new RateLimitDecision(true, TimeSpan.Zero);
        }
    }
}
