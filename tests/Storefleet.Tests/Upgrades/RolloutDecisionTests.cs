using Storefleet.Upgrades;

namespace Storefleet.Tests.Upgrades;

/// <summary>The rollout's decision function as a table: (rollout, tally of the wave that matters, now) → the next transition.</summary>
public class RolloutDecisionTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    private static Rollout Given(RolloutState state, int currentWave, WaveState current, int maxFailures = 0, DateTime? nextWaveAt = null)
    {
        var rollout = new Rollout { ToVersion = "0.2.0", CreatedBy = "root@example.com", State = state, CurrentWave = currentWave, MaxFailures = maxFailures, NextWaveAt = nextWaveAt };
        for (var i = 0; i < 3; i++)
            rollout.Waves.Add(new RolloutWave { Index = i, Percent = (i + 1) * 33 + (i == 2 ? 1 : 0), Stores = 10, DeadlineAt = Now.AddMinutes(5),
                State = i < currentWave ? WaveState.Succeeded : i == currentWave ? current : WaveState.Pending });
        return rollout;
    }

    private static WaveTally Tally(int ready, int failed = 0, int gone = 0) => new(10, ready, failed, gone, failed > 0 ? ["shop-1 (Error: setup failed)"] : []);

    public sealed record Row(string Case, Rollout Rollout, WaveTally Tally, RolloutStep Step)
    {
        public override string ToString() => Case;
    }

    public static TheoryData<Row> Table => new(
        new Row("a new rollout starts its first wave", Given(RolloutState.Running, -1, WaveState.Pending), WaveTally.Empty, RolloutStep.StartWave),
        new Row("a wave still converging waits", Given(RolloutState.Running, 0, WaveState.Running), Tally(ready: 7), RolloutStep.Wait),
        new Row("a wave whose stores are all Ready at the new version passes", Given(RolloutState.Running, 0, WaveState.Running), Tally(ready: 10), RolloutStep.WaveSucceeded),
        new Row("stores deleted during the wave do not hold it back", Given(RolloutState.Running, 0, WaveState.Running), Tally(ready: 8, gone: 2), RolloutStep.WaveSucceeded),
        new Row("one failure over maxFailures 0 pauses", Given(RolloutState.Running, 1, WaveState.Running), Tally(ready: 3, failed: 1), RolloutStep.PauseOnFailures),
        new Row("failures within maxFailures keep waiting", Given(RolloutState.Running, 1, WaveState.Running, maxFailures: 2), Tally(ready: 3, failed: 2), RolloutStep.Wait),
        new Row("a wave whose other stores failed within maxFailures passes", Given(RolloutState.Running, 1, WaveState.Running, maxFailures: 2), Tally(ready: 8, failed: 2), RolloutStep.WaveSucceeded),
        new Row("a failure pauses even when every other store is Ready", Given(RolloutState.Running, 0, WaveState.Running), Tally(ready: 9, failed: 1), RolloutStep.PauseOnFailures),
        new Row("after a wave passed the next one starts", Given(RolloutState.Running, 0, WaveState.Succeeded), WaveTally.Empty, RolloutStep.StartWave),
        new Row("the pause between waves is waited out", Given(RolloutState.Running, 0, WaveState.Succeeded, nextWaveAt: Now.AddSeconds(30)), WaveTally.Empty, RolloutStep.Wait),
        new Row("a paused rollout does nothing", Given(RolloutState.Paused, 0, WaveState.Failed), Tally(ready: 10), RolloutStep.Wait),
        new Row("a completed rollout does nothing", Given(RolloutState.Completed, 2, WaveState.Succeeded), Tally(ready: 10), RolloutStep.Wait),
        new Row("a rollback whose stores are all back finishes", Given(RolloutState.RollingBack, 1, WaveState.Failed), Tally(ready: 10), RolloutStep.RolledBack),
        new Row("a rollback with failing stores says which", Given(RolloutState.RollingBack, 1, WaveState.Failed), Tally(ready: 9, failed: 1), RolloutStep.ReportRollbackFailures));

    [Theory, MemberData(nameof(Table))]
    public void DecidesTheNextTransition(Row row) =>
        Assert.Equal(row.Step, RolloutDecision.Decide(row.Rollout, row.Tally, Now).Step);

    [Fact]
    public void APauseNamesTheWaveTheFailingStoresAndWhatToDoNext()
    {
        var next = RolloutDecision.Decide(Given(RolloutState.Running, 0, WaveState.Running), Tally(ready: 3, failed: 1), Now);

        Assert.Contains("1 of 10 stores of wave 1 (33 %) failed at 0.2.0", next.Reason);
        Assert.Contains("shop-1 (Error: setup failed)", next.Reason);
        Assert.Contains("Roll back", next.Reason);
    }

    [Fact]
    public void AWaitingWaveWakesAtItsDeadlineAndAPauseBetweenWavesAtItsEnd()
    {
        Assert.Equal(Now.AddMinutes(5), RolloutDecision.Decide(Given(RolloutState.Running, 0, WaveState.Running), Tally(ready: 1), Now).WakeAt);
        Assert.Equal(Now.AddSeconds(30), RolloutDecision.Decide(Given(RolloutState.Running, 0, WaveState.Succeeded, nextWaveAt: Now.AddSeconds(30)), WaveTally.Empty, Now).WakeAt);
    }

    [Theory]
    [InlineData(300, new[] { 1, 10, 50, 100 }, new[] { 3, 27, 120, 150 })]
    [InlineData(1000, new[] { 5, 25, 100 }, new[] { 50, 200, 750 })]
    [InlineData(3, new[] { 1, 10, 50, 100 }, new[] { 1, 0, 1, 1 })]
    [InlineData(1, new[] { 100 }, new[] { 1 })]
    public void WavesTakeCumulativePercentagesOfTheEligibleStoresRoundedUp(int total, int[] percents, int[] sizes) =>
        Assert.Equal(sizes, RolloutDecision.Split(total, percents));
}
