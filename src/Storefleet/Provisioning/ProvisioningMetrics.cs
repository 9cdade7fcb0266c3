using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Prometheus;
using Storefleet.Data;
using Storefleet.Stores;

namespace Storefleet.Provisioning;

/// <summary>The engine's Prometheus metrics, in the registry from DI (the default one; one per app in tests, see Observability.Health).</summary>
public sealed class ProvisioningMetrics
{
    private readonly Counter _reconciles, _errors, _orphansRemoved;
    private readonly Histogram _provisioningDuration;

    public ProvisioningMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _reconciles = factory.CreateCounter("storefleet_reconciles_total", "Reconcile steps, by the action taken.", "action");
        _errors = factory.CreateCounter("storefleet_reconcile_errors_total", "Failed reconcile steps and give-ups, by reason.", "reason");
        _provisioningDuration = factory.CreateHistogram("storefleet_provisioning_duration_seconds", "From create to first Ready.",
            new HistogramConfiguration { Buckets = [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800] });
        StoresByPhase = factory.CreateGauge("storefleet_stores", "Stores by phase.", "phase");
        QueueDepth = factory.CreateGauge("storefleet_queue_depth", "Stores due for a reconcile and not leased.");
        QueueLag = factory.CreateGauge("storefleet_queue_lag_seconds", "How long the most overdue unleased store has been waiting.");
        _orphansRemoved = factory.CreateCounter("storefleet_orphan_namespaces_removed_total", "Managed namespaces without a live store that were removed.");
    }

    internal Gauge StoresByPhase { get; }
    internal Gauge QueueDepth { get; }
    internal Gauge QueueLag { get; }

    public void Reconciled(StepAction action) => _reconciles.WithLabels(action.ToString()).Inc();
    public void Error(string reason) => _errors.WithLabels(reason).Inc();
    public void Provisioned(TimeSpan took) => _provisioningDuration.Observe(took.TotalSeconds);
    public void OrphanRemoved() => _orphansRemoved.Inc();
}

/// <summary>Refreshes the stores-by-phase and queue gauges from the database (worker role).</summary>
public sealed class QueueMetricsRefresher(IDbContextFactory<StorefleetDb> databases, TimeProvider clock, IOptions<MetricsOptions> options,
    ProvisioningMetrics metrics, ILogger<QueueMetricsRefresher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, clock);
        do
        {
            try
            {
                await using var db = await databases.CreateDbContextAsync(stoppingToken);
                var now = clock.GetUtcNow().UtcDateTime;
                var phases = await db.Stores.GroupBy(s => s.Phase).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(stoppingToken);
                foreach (var phase in Enum.GetValues<StorePhase>())
                    metrics.StoresByPhase.WithLabels(phase.ToString()).Set(phases.FirstOrDefault(p => p.Key == phase)?.Count ?? 0);
                var due = db.Stores.DueAt(now);
                metrics.QueueDepth.Set(await due.CountAsync(stoppingToken));
                var oldest = await due.MinAsync(s => s.DueAt, stoppingToken);
                metrics.QueueLag.Set(oldest is null ? 0 : (now - oldest.Value).TotalSeconds);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Could not refresh queue metrics");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

public sealed class MetricsOptions
{
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);
}
