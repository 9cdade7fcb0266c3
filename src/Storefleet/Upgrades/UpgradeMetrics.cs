using Prometheus;

namespace Storefleet.Upgrades;

/// <summary>Fleet upgrade metrics: rollouts by state, stores upgraded and failed, time per wave.</summary>
public sealed class UpgradeMetrics
{
    private static readonly Gauge Rollouts = Metrics.CreateGauge("storefleet_rollouts", "Fleet upgrade rollouts, by state.", "state");
    private static readonly Counter Upgraded = Metrics.CreateCounter("storefleet_upgrade_stores_upgraded_total", "Stores that passed a wave's health gate at the new chart version.");
    private static readonly Counter Failed = Metrics.CreateCounter("storefleet_upgrade_stores_failed_total", "Stores that failed a wave's health gate (counted when the rollout paused on them).");
    private static readonly Histogram WaveDuration = Metrics.CreateHistogram("storefleet_upgrade_wave_duration_seconds", "From a wave's start to every store of it Ready at the new version.",
        new HistogramConfiguration { Buckets = [5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600] });

    public void Refresh(IReadOnlyDictionary<RolloutState, int> byState)
    {
        foreach (var state in Enum.GetValues<RolloutState>()) Rollouts.WithLabels(state.ToString()).Set(byState.GetValueOrDefault(state));
    }

    public void WaveSucceeded(int stores, TimeSpan took)
    {
        Upgraded.Inc(stores);
        WaveDuration.Observe(took.TotalSeconds);
    }

    public void StoresFailed(int stores) => Failed.Inc(stores);
}
