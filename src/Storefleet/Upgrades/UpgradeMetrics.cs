using Prometheus;

namespace Storefleet.Upgrades;

/// <summary>Fleet upgrade metrics, in the registry from DI: rollouts by state, stores upgraded and failed, time per wave.</summary>
public sealed class UpgradeMetrics
{
    private readonly Gauge _rollouts;
    private readonly Counter _upgraded, _failed;
    private readonly Histogram _waveDuration;

    public UpgradeMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _rollouts = factory.CreateGauge("storefleet_rollouts", "Fleet upgrade rollouts, by state.", "state");
        _upgraded = factory.CreateCounter("storefleet_upgrade_stores_upgraded_total", "Stores that passed a wave's health gate at the new chart version.");
        _failed = factory.CreateCounter("storefleet_upgrade_stores_failed_total", "Stores that failed a wave's health gate (counted when the rollout paused on them).");
        _waveDuration = factory.CreateHistogram("storefleet_upgrade_wave_duration_seconds", "From a wave's start to every store of it Ready at the new version.",
            new HistogramConfiguration { Buckets = [5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600] });
    }

    public void Refresh(IReadOnlyDictionary<RolloutState, int> byState)
    {
        foreach (var state in Enum.GetValues<RolloutState>()) _rollouts.WithLabels(state.ToString()).Set(byState.GetValueOrDefault(state));
    }

    public void WaveSucceeded(int stores, TimeSpan took)
    {
        _upgraded.Inc(stores);
        _waveDuration.Observe(took.TotalSeconds);
    }

    public void StoresFailed(int stores) => _failed.Inc(stores);
}
