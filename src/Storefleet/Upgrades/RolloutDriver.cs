using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Data;
using Storefleet.Notifications;

namespace Storefleet.Upgrades;

public sealed class UpgradeOptions
{
    /// <summary>
    /// A safety net only: the driver is woken when a store of a running wave changes, when an administrator acts on a
    /// rollout and when a pause between waves or a wave deadline ends, so it never has to poll to be prompt.
    /// </summary>
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>Default of a rollout's waveTimeout: a store of a wave not Ready at the new version by then counts as failed.</summary>
    public TimeSpan DefaultWaveTimeout { get; set; } = TimeSpan.FromMinutes(20);
    /// <summary>
    /// Passes start at most this often: a wave of hundreds of stores changes many times a second, and one tally per
    /// interval sees all of it. Costs at most this much latency per gate.
    /// </summary>
    public TimeSpan MinPassInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>
/// Carries rollouts forward (worker role): starts a wave, lets it pass its health gate or pauses the rollout on
/// failures, finishes rollbacks. Stateless between passes: it reads the rollout from the database each time, decides
/// with <see cref="RolloutDecision"/>, and makes each transition a conditional update on the rollout's revision in the
/// same transaction as the store changes it implies. So any number of workers may run it, a killed one loses nothing,
/// and no wave is ever started twice.
/// </summary>
public sealed class RolloutDriver(
    IDbContextFactory<StorefleetDb> databases, StoreChangeFeed feed, IStoreNotifier notifier, TimeProvider clock,
    IOptions<UpgradeOptions> options, UpgradeMetrics metrics, ILogger<RolloutDriver> log) : BackgroundService
{
    /// <summary>The owner id rollout actions are announced under as a store change (no tenant has it): it wakes every driver.</summary>
    public static readonly Guid Signal = new("00000000-0000-0000-0000-0000000f1ee7");

    // The same coalescing wake-up the store workers use: many changes while a pass runs count as one more pass.
    private readonly StoreQueueSignal _wake = new();
    // Stores of running waves and rollbacks: a change of one of them may open a gate. Replaced, never mutated.
    private volatile HashSet<Guid> _watched = [];

    /// <summary>Wakes the drivers of every process (the notifier carries it like a store change).</summary>
    public static void Nudge(IStoreNotifier notifier, Guid rolloutId) => notifier.StoreChanged(Signal, rolloutId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        feed.Changed += OnChange;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = options.Value.IdlePoll;
                var started = clock.GetTimestamp();
                try
                {
                    if (await PassAsync(stoppingToken) is { } at)
                    {
                        var until = at - clock.GetUtcNow().UtcDateTime;
                        if (until < wait) wait = until;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Rollout pass failed; trying again");
                    wait = TimeSpan.FromSeconds(1);
                }
                if (wait > TimeSpan.Zero) await _wake.WaitAsync(wait, stoppingToken);
                var since = clock.GetElapsedTime(started);
                if (since < options.Value.MinPassInterval) await Task.Delay(options.Value.MinPassInterval - since, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            feed.Changed -= OnChange;
        }
    }

    // Runs on the publisher's thread (every store change of the process): a set lookup and at most one channel write.
    private void OnChange(Guid owner, Guid store)
    {
        if (owner == Signal || _watched.Contains(store)) _wake.Wake();
    }

    /// <summary>One look at every rollout in motion. Returns when the earliest of them wants to be looked at again.</summary>
    public async Task<DateTime?> PassAsync(CancellationToken ct)
    {
        List<Guid> moving;
        await using (var db = await databases.CreateDbContextAsync(ct))
        {
            moving = await db.Rollouts.Where(r => r.State == RolloutState.Running || r.State == RolloutState.RollingBack)
                .OrderBy(r => r.CreatedAt).Select(r => r.Id).ToListAsync(ct);
            metrics.Refresh(await db.Rollouts.GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct));
        }
        var watched = new HashSet<Guid>();
        DateTime? next = null;
        foreach (var id in moving)
            if (await AdvanceAsync(id, watched, ct) is { } at && (next is null || at < next)) next = at;
        _watched = watched;
        return next;
    }

    /// <summary>Makes transitions on one rollout while there are any to make; collects the stores to watch.</summary>
    private async Task<DateTime?> AdvanceAsync(Guid id, HashSet<Guid> watched, CancellationToken ct)
    {
        for (var round = 0; round < 100; round++)
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var rollout = await db.Rollouts.Include(r => r.Waves).SingleOrDefaultAsync(r => r.Id == id, ct);
            if (rollout is null || rollout.State is not (RolloutState.Running or RolloutState.RollingBack)) return null;
            var now = clock.GetUtcNow().UtcDateTime;
            var current = rollout.CurrentWave >= 0 ? rollout.Waves.Single(w => w.Index == rollout.CurrentWave) : null;

            var tally = WaveTally.Empty;
            if (rollout.State == RolloutState.RollingBack)
            {
                var touched = await RolloutStores.MembersAsync(db, id, wave: null, touchedOnly: true, ct);
                watched.UnionWith(touched.Select(m => m.StoreId));
                tally = await RolloutStores.TallyAsync(db, touched, m => m.FromVersion, deadline: null, now, ct);
            }
            else if (current is { State: WaveState.Running })
            {
                var members = await RolloutStores.MembersAsync(db, id, current.Index, touchedOnly: false, ct);
                watched.UnionWith(members.Select(m => m.StoreId));
                tally = await RolloutStores.TallyAsync(db, members, _ => rollout.ToVersion, current.DeadlineAt, now, ct);
            }

            var next = RolloutDecision.Decide(rollout, tally, now);
            if (next.Step == RolloutStep.Wait) return next.WakeAt;

            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // The fence: only the revision we decided on may move on. A driver that raced us finds it gone and starts over.
            if (!await RolloutStores.FenceAsync(db, rollout, ct)) continue;
            rollout.UpdatedAt = now;
            List<(Guid, Guid)> changed = [];
            switch (next.Step)
            {
                case RolloutStep.StartWave:
                    var wave = rollout.Waves.Single(w => w.Index == rollout.CurrentWave + 1);
                    rollout.CurrentWave = wave.Index;
                    rollout.NextWaveAt = null;
                    rollout.Reason = $"Wave {wave.Index + 1} of {rollout.Waves.Count} ({wave.Percent} %): upgrading {RolloutDecision.Stores(wave.Stores)} to {rollout.ToVersion}.";
                    wave.State = WaveState.Running;
                    wave.StartedAt = now;
                    wave.DeadlineAt = now + rollout.WaveTimeout;
                    break;
                case RolloutStep.WaveSucceeded:
                    current!.State = WaveState.Succeeded;
                    current.FinishedAt = now;
                    var last = current.Index == rollout.Waves.Count - 1;
                    if (last)
                    {
                        rollout.State = RolloutState.Completed;
                        rollout.FinishedAt = now;
                        var total = rollout.Waves.Sum(w => w.Stores);
                        rollout.Reason = $"Every wave passed: {RolloutDecision.Stores(total)} upgraded to {rollout.ToVersion}.";
                    }
                    else
                    {
                        rollout.NextWaveAt = now + rollout.PauseBetweenWaves;
                        rollout.Reason = $"Wave {current.Index + 1} ({current.Percent} %) passed: {RolloutDecision.Stores(tally.Ready)} Ready at {rollout.ToVersion}." +
                                         (rollout.PauseBetweenWaves > TimeSpan.Zero ? $" The next wave starts at {rollout.NextWaveAt:HH:mm:ss} UTC." : "");
                    }
                    break;
                case RolloutStep.PauseOnFailures:
                    rollout.State = RolloutState.Paused;
                    rollout.Reason = next.Reason;
                    current!.State = WaveState.Failed;
                    break;
                case RolloutStep.RolledBack:
                    rollout.State = RolloutState.RolledBack;
                    rollout.FinishedAt = now;
                    rollout.Reason = $"Rolled back: every touched store ({tally.Stores - tally.Gone}) is Ready on its previous version.";
                    break;
                case RolloutStep.ReportRollbackFailures:
                    rollout.Reason = next.Reason;
                    break;
            }
            try
            {
                await db.SaveChangesAsync(ct);
                if (next.Step == RolloutStep.StartWave)
                {
                    var wave = rollout.CurrentWave;
                    changed = await RolloutStores.SetChartVersionAsync(db,
                        db.Stores.Where(s => s.RolloutId == id && db.RolloutStores.Any(r => r.RolloutId == id && r.StoreId == s.Id && r.Wave == wave)),
                        rollout.ToVersion, now, "UpgradeRequested",
                        $"Upgrading to {rollout.ToVersion}: a fleet upgrade (wave {wave + 1} of {rollout.Waves.Count}) gives the store the new chart version.", ct);
                    await db.RolloutStores.Where(r => r.RolloutId == id && r.Wave == wave).ExecuteUpdateAsync(r => r.SetProperty(x => x.UpgradedAt, now), ct);
                    await db.SaveChangesAsync(ct);
                }
                if (rollout.State is RolloutState.Completed or RolloutState.RolledBack) await RolloutStores.ReleaseClaimsAsync(db, id, ct);
                await tx.CommitAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                continue; // someone else made a transition: read again
            }
            RolloutStores.Announce(changed, notifier);
            Record(rollout, next.Step, tally, current);
            log.LogInformation("Rollout {Rollout} to {Version}: {Step}. {Reason}", id, rollout.ToVersion, next.Step, rollout.Reason);
        }
        return null;
    }

    private void Record(Rollout rollout, RolloutStep step, WaveTally tally, RolloutWave? wave)
    {
        switch (step)
        {
            case RolloutStep.WaveSucceeded:
                metrics.WaveSucceeded(tally.Ready, wave!.FinishedAt!.Value - wave.StartedAt!.Value);
                break;
            case RolloutStep.PauseOnFailures:
                metrics.StoresFailed(tally.Failed);
                break;
        }
    }
}
