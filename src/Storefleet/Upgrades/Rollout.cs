namespace Storefleet.Upgrades;

/// <summary>
/// A fleet upgrade: the stores it claimed move to <see cref="ToVersion"/> in waves, each gated on the health of the one
/// before. The whole state machine lives in this row and its waves, so any worker can carry it on after a crash;
/// every transition is an update fenced by <see cref="Revision"/>, so two drivers never make the same one twice.
/// </summary>
public sealed class Rollout
{
    public Guid Id { get; set; }
    /// <summary>The version stores are upgraded from; null: every version other than <see cref="ToVersion"/>.</summary>
    public string? FromVersion { get; set; }
    public required string ToVersion { get; set; }
    public RolloutState State { get; set; } = RolloutState.Running;
    /// <summary>Why the rollout is in its state, in words an operator can act on (the failing stores when it paused).</summary>
    public string Reason { get; set; } = "";
    public int MaxFailures { get; set; }
    public TimeSpan PauseBetweenWaves { get; set; }
    /// <summary>A store of a wave that is not Ready at the new version this long after the wave started counts as failed.</summary>
    public TimeSpan WaveTimeout { get; set; }
    /// <summary>Index of the wave started last; -1 before the first.</summary>
    public int CurrentWave { get; set; } = -1;
    /// <summary>When the next wave may start (the pause between waves); null: as soon as the current one succeeded.</summary>
    public DateTime? NextWaveAt { get; set; }
    /// <summary>Concurrency token: bumped by every transition.</summary>
    public long Revision { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public List<RolloutWave> Waves { get; set; } = [];

    public bool IsActive => State is RolloutState.Running or RolloutState.Paused or RolloutState.RollingBack;
}

public enum RolloutState { Running, Paused, Completed, RollingBack, RolledBack, Aborted }

public enum WaveState { Pending, Running, Succeeded, Failed }

/// <summary>One wave: the stores up to <see cref="Percent"/> percent (cumulative) of those the rollout claimed.</summary>
public sealed class RolloutWave
{
    public Guid RolloutId { get; set; }
    public int Index { get; set; }
    public int Percent { get; set; }
    public int Stores { get; set; }
    public WaveState State { get; set; } = WaveState.Pending;
    public DateTime? StartedAt { get; set; }
    /// <summary>Stores not Ready at the new version by then count as failed (restarted by a resume).</summary>
    public DateTime? DeadlineAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}

/// <summary>A store claimed by a rollout: which wave it is in and what it ran before (for a rollback).</summary>
public sealed class RolloutStore
{
    public Guid RolloutId { get; set; }
    public Guid StoreId { get; set; }
    public int Wave { get; set; }
    public required string FromVersion { get; set; }
    /// <summary>When its wave gave it the new version; null: not touched yet (a rollback leaves it alone).</summary>
    public DateTime? UpgradedAt { get; set; }
}
