namespace Storefleet.Upgrades;

/// <summary>How the stores of one wave (or, while rolling back, of every touched store) stand.</summary>
public sealed record WaveTally(int Stores, int Ready, int Failed, int Gone, IReadOnlyList<string> Failing)
{
    public static readonly WaveTally Empty = new(0, 0, 0, 0, []);

    /// <summary>Every store is Ready at the wanted version, or was deleted meanwhile.</summary>
    public bool Done => Ready + Gone >= Stores;
}

public enum RolloutStep { Wait, StartWave, WaveSucceeded, PauseOnFailures, RolledBack, ReportRollbackFailures }

/// <summary>The one transition to make next, and when to look again if none.</summary>
public sealed record RolloutNext(RolloutStep Step, string Reason = "", DateTime? WakeAt = null);

/// <summary>
/// Observe → <b>decide</b> → act for a rollout: a pure function from the rollout, the tally of the wave that matters
/// and the time to the next transition. No I/O: table tests drive it; <see cref="RolloutDriver"/> applies it.
/// </summary>
public static class RolloutDecision
{
    public static RolloutNext Decide(Rollout rollout, WaveTally tally, DateTime now)
    {
        switch (rollout.State)
        {
            case RolloutState.Running:
                var current = rollout.CurrentWave >= 0 ? rollout.Waves.Single(w => w.Index == rollout.CurrentWave) : null;
                if (current is { State: WaveState.Running })
                {
                    // Failures first: a wave whose last store turns Ready while another failed does not pass the gate.
                    if (tally.Failed > rollout.MaxFailures)
                        return new(RolloutStep.PauseOnFailures, FailureReason(rollout, current, tally));
                    // Every store is Ready on the new version, gone, or failed within the tolerance: the gate is passed.
                    if (tally.Done || tally.Ready + tally.Gone + tally.Failed >= tally.Stores) return new(RolloutStep.WaveSucceeded);
                    return new(RolloutStep.Wait, WakeAt: current.DeadlineAt);
                }
                if (rollout.NextWaveAt is { } at && at > now) return new(RolloutStep.Wait, WakeAt: at);
                return new(RolloutStep.StartWave);
            case RolloutState.RollingBack:
                if (tally.Done) return new(RolloutStep.RolledBack);
                if (tally.Failed > 0)
                {
                    var reason = $"Rolling back: {tally.Failed} of {Stores(tally.Stores)} are not Ready on their previous version yet: {Describe(tally.Failing)}. " +
                                 "They keep retrying; fix the cause (see each store's events) or retry them from the admin view.";
                    return reason == rollout.Reason ? new(RolloutStep.Wait) : new(RolloutStep.ReportRollbackFailures, reason);
                }
                return new(RolloutStep.Wait);
            default:
                return new(RolloutStep.Wait);
        }
    }

    /// <summary>Stores per wave from cumulative percentages: wave i holds the stores up to ceil(total × percent / 100).</summary>
    public static int[] Split(int total, IReadOnlyList<int> cumulativePercents)
    {
        var sizes = new int[cumulativePercents.Count];
        var before = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            var upTo = (int)Math.Ceiling(total * cumulativePercents[i] / 100.0);
            sizes[i] = upTo - before;
            before = upTo;
        }
        return sizes;
    }

    private static string FailureReason(Rollout rollout, RolloutWave wave, WaveTally tally) =>
        $"Paused automatically: {tally.Failed} of {Stores(tally.Stores)} of wave {wave.Index + 1} ({wave.Percent} %) failed at {rollout.ToVersion} " +
        $"(at most {rollout.MaxFailures} allowed): {Describe(tally.Failing)}. No store of a later wave was touched. " +
        "Roll back to return the touched stores to their previous version, or fix the cause and resume (failed stores are retried).";

    /// <summary>"1 store", "3 stores".</summary>
    public static string Stores(int n) => n == 1 ? "1 store" : $"{n} stores";

    private static string Describe(IReadOnlyList<string> failing) =>
        failing.Count == 0 ? "(none listed)" : string.Join("; ", failing);
}
