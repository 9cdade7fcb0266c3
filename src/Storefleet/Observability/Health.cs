using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;
using Storefleet.Data;

namespace Storefleet.Observability;

public static class Health
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<DatabaseReachable>("database", tags: ["ready"]);
        return builder;
    }

    /// <summary>/healthz: the process is alive. /readyz: it can serve (the database answers). /metrics: Prometheus.</summary>
    public static WebApplication MapObservability(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).WithTags("Health");
        app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains("ready") }).WithTags("Health");
        app.MapMetrics("/metrics");
        return app;
    }

    private sealed class DatabaseReachable(StorefleetDb db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct) =>
            await db.Database.CanConnectAsync(ct)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The database does not answer.");
    }
}
