using System.Collections.Concurrent;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
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
    /// <summary>Per user, on every mutating endpoint of the stores API (and POST /me/…).</summary>
    public TokenBucket Mutations { get; set; } = new() { Capacity = 30, PerMinute = 30 };
    /// <summary>Per user, on every read (GET) of the stores, account and admin APIs.</summary>
    public TokenBucket Reads { get; set; } = new() { Capacity = 600, PerMinute = 600 };
    /// <summary>Per user, on GET /stores/{id}/credentials (each reveal decrypts a secret and writes an audit row).</summary>
    public TokenBucket CredentialReveals { get; set; } = new() { Capacity = 10, PerMinute = 10 };
    /// <summary>Live event streams (GET /stores/events) one user may hold open at once.</summary>
    public int EventStreamsPerUser { get; set; } = 5;
    /// <summary>Per source IP, on login and registration. Generous: offices and carrier NATs share an address.</summary>
    public TokenBucket AuthPerIp { get; set; } = new() { Capacity = 60, PerMinute = 30 };
    /// <summary>Per source IP, on registration only.</summary>
    public TokenBucket SignupsPerIp { get; set; } = new() { Capacity = 5, PerMinute = 0.2 };
    /// <summary>All registrations of the platform together: a ceiling on mass sign-ups from many addresses.</summary>
    public TokenBucket SignupsTotal { get; set; } = new() { Capacity = 100, PerMinute = 20 };
    /// <summary>Failed sign-ins per account and source IP together (see <see cref="FailureBackoff"/>).</summary>
    public FailureBackoff LoginFailures { get; set; } = new();
}

/// <summary>
/// Growing delays after repeated failures of one key, instead of a hard lock: the first
/// <see cref="FreeAttempts"/> - 1 failures cost nothing, then each further one blocks the key for
/// <see cref="FirstDelay"/>, doubling up to <see cref="MaxDelay"/>. A success, or
/// <see cref="ForgetAfter"/> without failures, starts over.
/// </summary>
public sealed record FailureBackoff
{
    public int FreeAttempts { get; init; } = 5;
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(15);
    public TimeSpan ForgetAfter { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The block after the <paramref name="failures"/>-th failure in a row.</summary>
    public TimeSpan DelayAfter(long failures)
    {
        if (failures < FreeAttempts) return TimeSpan.Zero;
        var doublings = Math.Min(failures - FreeAttempts, 40);
        var ms = Math.Min(MaxDelay.TotalMilliseconds, FirstDelay.TotalMilliseconds * Math.Pow(2, doublings));
        return TimeSpan.FromMilliseconds(ms);
    }
}

public readonly record struct RateLimitDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>
/// Where limits live: this process, or Redis so that every API replica shares them. Three kinds:
/// token buckets, failure back-off (sign-in) and leased slots (live event streams).
/// </summary>
public interface IRateLimitStore
{
    ValueTask<RateLimitDecision> TryTakeAsync(string key, TokenBucket bucket, CancellationToken ct);

    /// <summary>Whether <paramref name="key"/> is blocked by earlier failures, and for how long.</summary>
    ValueTask<RateLimitDecision> CheckBackoffAsync(string key, CancellationToken ct);
    /// <summary>Counts a failure; the decision says how long the key is now blocked (allowed when not at all).</summary>
    ValueTask<RateLimitDecision> RecordFailureAsync(string key, FailureBackoff policy, CancellationToken ct);
    ValueTask ResetBackoffAsync(string key, CancellationToken ct);

    /// <summary>
    /// Takes one of at most <paramref name="max"/> slots of <paramref name="key"/> for <paramref name="slotId"/>,
    /// leased for <paramref name="lease"/>: the holder renews it while it lives and releases it at the end,
    /// so a slot of a crashed replica frees itself when its lease runs out.
    /// </summary>
    ValueTask<bool> TryTakeSlotAsync(string key, string slotId, int max, TimeSpan lease, CancellationToken ct);
    ValueTask RenewSlotAsync(string key, string slotId, TimeSpan lease, CancellationToken ct);
    ValueTask ReleaseSlotAsync(string key, string slotId);
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

    /// <summary>Per-user token buckets on the group's endpoints: one for reads (GET, HEAD), one for everything else.</summary>
    public static TBuilder RequirePerUserRateLimit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            if (http.User.Identity?.IsAuthenticated != true) return await next(ctx);
            var options = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
            var read = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
            var decision = await http.RequestServices.GetRequiredService<IRateLimitStore>().TryTakeAsync(
                read ? $"reads:{http.User.UserId()}" : $"user:{http.User.UserId()}", read ? options.Reads : options.Mutations, http.RequestAborted);
            return decision.Allowed ? await next(ctx)
                : TooManyRequests(http, decision, read ? "You are reading too quickly." : "You are making changes too quickly.");
        });
        return builder;
    }

    /// <summary>Per-user bucket for revealing store credentials, on top of the read limit.</summary>
    public static RouteHandlerBuilder RequireCredentialRevealLimit(this RouteHandlerBuilder endpoint)
    {
        endpoint.AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            var bucket = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.CredentialReveals;
            var decision = await http.RequestServices.GetRequiredService<IRateLimitStore>()
                .TryTakeAsync($"reveal:{http.User.UserId()}", bucket, http.RequestAborted);
            return decision.Allowed ? await next(ctx) : TooManyRequests(http, decision, "You are revealing store credentials too often.");
        });
        return endpoint;
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

/// <summary>Limits in this process: correct for one replica. Idle buckets and failure counts are swept so memory stays bounded.</summary>
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
        foreach (var (key, state) in _failures)
            if (now >= Volatile.Read(ref state.ForgetAtMs)) _failures.TryRemove(key, out _);
    }

    private readonly ConcurrentDictionary<string, Failures> _failures = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, long>> _slots = new();

    public ValueTask<RateLimitDecision> CheckBackoffAsync(string key, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (!_failures.TryGetValue(key, out var state)) return ValueTask.FromResult(new RateLimitDecision(true, TimeSpan.Zero));
        lock (state)
            return ValueTask.FromResult(state.BlockedUntilMs > now && state.ForgetAtMs > now
                ? new RateLimitDecision(false, TimeSpan.FromMilliseconds(state.BlockedUntilMs - now))
                : new RateLimitDecision(true, TimeSpan.Zero));
    }

    public ValueTask<RateLimitDecision> RecordFailureAsync(string key, FailureBackoff policy, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (_buckets.Count + _failures.Count > SweepAbove) Sweep(now);
        var state = _failures.GetOrAdd(key, _ => new Failures());
        lock (state)
        {
            if (state.ForgetAtMs <= now) state.Count = 0;
            state.Count++;
            var delay = policy.DelayAfter(state.Count);
            state.BlockedUntilMs = now + (long)delay.TotalMilliseconds;
            state.ForgetAtMs = now + (long)Math.Max(policy.ForgetAfter.TotalMilliseconds, delay.TotalMilliseconds);
            return ValueTask.FromResult(new RateLimitDecision(delay == TimeSpan.Zero, delay));
        }
    }

    public ValueTask ResetBackoffAsync(string key, CancellationToken ct)
    {
        _failures.TryRemove(key, out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> TryTakeSlotAsync(string key, string slotId, int max, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var slots = _slots.GetOrAdd(key, _ => new());
        lock (slots)
        {
            foreach (var (id, expires) in slots)
                if (expires <= now) slots.TryRemove(id, out _);
            if (slots.Count >= max) return ValueTask.FromResult(false);
            slots[slotId] = now + (long)lease.TotalMilliseconds;
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask RenewSlotAsync(string key, string slotId, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (_slots.TryGetValue(key, out var slots))
            lock (slots)
                if (slots.ContainsKey(slotId)) slots[slotId] = now + (long)lease.TotalMilliseconds;
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseSlotAsync(string key, string slotId)
    {
        if (_slots.TryGetValue(key, out var slots))
            lock (slots)
            {
                slots.TryRemove(slotId, out _);
                if (slots.IsEmpty) _slots.TryRemove(key, out _);
            }
        return ValueTask.CompletedTask;
    }

    private sealed class Failures
    {
        public long Count;
        public long BlockedUntilMs;
        public long ForgetAtMs;
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

    // Failure back-off: ARGV = mode (check | fail), free attempts, first delay ms, max delay ms, forget after ms.
    private const string BackoffScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local state = redis.call('HMGET', KEYS[1], 'failures', 'until')
        local failures = tonumber(state[1]) or 0
        local blocked = tonumber(state[2]) or 0
        if ARGV[1] == 'check' then
          if blocked > now then return {0, blocked - now} end
          return {1, 0}
        end
        failures = failures + 1
        local wait = 0
        local free = tonumber(ARGV[2])
        if failures >= free then
          wait = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(failures - free, 40))
          wait = math.ceil(wait)
        end
        redis.call('HSET', KEYS[1], 'failures', tostring(failures), 'until', tostring(now + wait))
        redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[5]), wait))
        if wait > 0 then return {0, wait} end
        return {1, 0}
        """;

    // Leased slots: a sorted set of slot ids scored by lease expiry; expired leases are dropped first.
    private const string TakeSlotScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
        redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
        return 1
        """;

    private const string RenewSlotScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
        redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
        return 1
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
            return FailOpen(e, key);
        }
    }

    public ValueTask<RateLimitDecision> CheckBackoffAsync(string key, CancellationToken ct) =>
        Backoff(key, ["check", 0, 0, 0, 0]);

    public ValueTask<RateLimitDecision> RecordFailureAsync(string key, FailureBackoff policy, CancellationToken ct) =>
        Backoff(key, ["fail", policy.FreeAttempts, (long)policy.FirstDelay.TotalMilliseconds, (long)policy.MaxDelay.TotalMilliseconds, Math.Max(1000, (long)policy.ForgetAfter.TotalMilliseconds)]);

    public async ValueTask ResetBackoffAsync(string key, CancellationToken ct)
    {
        try { await redis.GetDatabase().KeyDeleteAsync("storefleet:backoff:" + key); }
        catch (RedisException e) { FailOpen(e, key); }
    }

    private async ValueTask<RateLimitDecision> Backoff(string key, RedisValue[] args)
    {
        try
        {
            var result = (RedisResult[]?)await redis.GetDatabase().ScriptEvaluateAsync(BackoffScript, [new RedisKey("storefleet:backoff:" + key)], args);
            return new RateLimitDecision((long)result![0] == 1, TimeSpan.FromMilliseconds((long)result[1]));
        }
        catch (RedisException e)
        {
            return FailOpen(e, key);
        }
    }

    public async ValueTask<bool> TryTakeSlotAsync(string key, string slotId, int max, TimeSpan lease, CancellationToken ct)
    {
        try
        {
            return (long)await redis.GetDatabase().ScriptEvaluateAsync(TakeSlotScript, [new RedisKey("storefleet:slots:" + key)],
                [slotId, max, (long)lease.TotalMilliseconds]) == 1;
        }
        catch (RedisException e)
        {
            return FailOpen(e, key).Allowed;
        }
    }

    public async ValueTask RenewSlotAsync(string key, string slotId, TimeSpan lease, CancellationToken ct)
    {
        try { await redis.GetDatabase().ScriptEvaluateAsync(RenewSlotScript, [new RedisKey("storefleet:slots:" + key)], [slotId, (long)lease.TotalMilliseconds]); }
        catch (RedisException e) { FailOpen(e, key); }
    }

    public async ValueTask ReleaseSlotAsync(string key, string slotId)
    {
        try { await redis.GetDatabase().SortedSetRemoveAsync("storefleet:slots:" + key, slotId); }
        catch (RedisException e) { FailOpen(e, key); }
    }

    private RateLimitDecision FailOpen(RedisException e, string key)
    {
        log.LogWarning(e, "Rate limit store unreachable; allowing request for {Kind}", key.Split(':')[0]);
        return new RateLimitDecision(true, TimeSpan.Zero);
    }
}
