using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;
using Storefleet.Data;

namespace Storefleet.Observability;

public static class Health
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks().AddCheck<DatabaseReachable>("database", tags: ["ready"]);
        // Redis only carries rate limits (failing open), stream slots and notifications: when it is down the API
        // still serves, so /readyz says Degraded (HTTP 200) instead of taking every replica out of service.
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis")))
            checks.AddCheck<RedisReachable>("redis", failureStatus: HealthStatus.Degraded, tags: ["ready"]);
        // The registry every metric of the platform goes to (and /metrics shows): the process-wide default here;
        // a test app replaces it with one of its own, so that tests running at once do not move each other's counters.
        builder.Services.AddSingleton(Metrics.DefaultRegistry);
        var exported = new ExportedRegistry();
        builder.Services.AddSingleton(exported);
        // Observability:MetricsPort: /metrics gets a listener of its own on that port, which the
        // platform chart's Service exposes inside the cluster and its Ingress never routes to; the
        // public port then has no /metrics at all. Unset (a laptop): /metrics on the main port.
        if (MetricsPort(builder.Configuration) is { } port)
            builder.Services.AddMetricServer(o =>
            {
                o.Port = (ushort)port;
                o.ConfigureExporter = settings => settings.Registry = exported.Registry;
            });
        return builder;
    }

    /// <summary>/healthz: the process is alive. /readyz: it can serve (the database answers; Redis, when configured, is Degraded if it does not). /metrics: Prometheus (see AddObservability).</summary>
    public static WebApplication MapObservability(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).WithTags("Health");
        app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains("ready") }).WithTags("Health");
        var registry = app.Services.GetRequiredService<CollectorRegistry>();
        app.Services.GetRequiredService<ExportedRegistry>().Registry = registry;
        if (MetricsPort(app.Configuration) is null) app.MapMetrics("/metrics", registry);
        return app;
    }

    /// <summary>Request counts and durations, by endpoint, into the platform's registry.</summary>
    public static WebApplication UseRequestMetrics(this WebApplication app)
    {
        var registry = app.Services.GetRequiredService<CollectorRegistry>();
        app.UseHttpMetrics(o => o.SetMetricFactory(Metrics.WithCustomRegistry(registry)));
        return app;
    }

    /// <summary>The registry the metrics port serves, known once the app is built (the port's server starts after that).</summary>
    private sealed class ExportedRegistry
    {
        public CollectorRegistry Registry { get; set; } = Metrics.DefaultRegistry;
    }

    private static int? MetricsPort(IConfiguration configuration)
    {
        var port = configuration.GetValue<int?>("Observability:MetricsPort");
        if (port is < 1 or > 65535)
            throw new InvalidOperationException($"Observability:MetricsPort must be a TCP port between 1 and 65535 (got {port}); leave it unset to serve /metrics on the main port.");
        return port;
    }

    private sealed class RedisReachable(StackExchange.Redis.IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
        {
            try
            {
                var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), ct);
                return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:0} ms.");
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                return HealthCheckResult.Degraded("Redis does not answer: rate limits fail open and live streams see this replica's changes only.", e);
            }
        }
    }

    private sealed class DatabaseReachable(StorefleetDb db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct) =>
            await db.Database.CanConnectAsync(ct)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The database does not answer.");
    }
}
