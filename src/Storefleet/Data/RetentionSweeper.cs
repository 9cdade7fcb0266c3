using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Prometheus;
using Storefleet.Provisioning;

namespace Storefleet.Data;

/// <summary>How long the append-only tables keep their rows, and how the sweep runs.</summary>
public sealed class RetentionOptions
{
    /// <summary>A create's Idempotency-Key is honoured for this long (replays after that create a new store).</summary>
    public TimeSpan IdempotencyKeys { get; set; } = TimeSpan.FromHours(24);
    /// <summary>Store timelines (GET /stores/{id}/events).</summary>
    public TimeSpan StoreEvents { get; set; } = TimeSpan.FromDays(90);
    /// <summary>The audit log. Keep it as long as your compliance rules ask.</summary>
    public TimeSpan AuditLog { get; set; } = TimeSpan.FromDays(365);
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Rows deleted per statement: short transactions that never hold long locks.</summary>
    public int BatchSize { get; set; } = 1000;
}

/// <summary>
/// Deletes expired idempotency keys, store events and audit entries, in batches, on every API replica.
/// Several replicas sweeping at once is safe: each batch is an idempotent DELETE of rows that are
/// already past their age, so at worst two replicas race for the same rows and one deletes nothing.
/// </summary>
public sealed class RetentionSweeper(IDbContextFactory<StorefleetDb> databases, IOptions<RetentionOptions> options,
    TimeProvider clock, CollectorRegistry registry, ILogger<RetentionSweeper> log) : BackgroundService
{
    private readonly Counter _rowsSwept = Metrics.WithCustomRegistry(registry).CreateCounter(
        "storefleet_retention_rows_swept_total", "Rows deleted by the retention sweep, by table.", "table");
    private readonly Counter _sweepFailures = Metrics.WithCustomRegistry(registry).CreateCounter(
        "storefleet_retention_sweep_failures_total", "Retention sweeps that failed (retried at the next interval).");
    private readonly Gauge _lastSweep = Metrics.WithCustomRegistry(registry).CreateGauge(
        "storefleet_retention_last_sweep_timestamp_seconds", "When this process last completed a retention sweep (Unix time).");

    public static void Validate(RetentionOptions o)
    {
        if (o.IdempotencyKeys <= TimeSpan.Zero || o.StoreEvents <= TimeSpan.Zero || o.AuditLog <= TimeSpan.Zero)
            throw new InvalidOperationException("Retention:IdempotencyKeys, Retention:StoreEvents and Retention:AuditLog must be positive durations such as 1.00:00:00 (one day).");
        if (o.SweepInterval <= TimeSpan.Zero || o.BatchSize < 1)
            throw new InvalidOperationException("Retention:SweepInterval must be positive and Retention:BatchSize at least 1.");
    }

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var o = options.Value;
        // Replicas that start together spread their sweeps out.
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * Math.Min(o.SweepInterval.TotalMilliseconds, 60_000)), clock, ct);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await SweepOnceAsync(ct);
                _lastSweep.SetToCurrentTimeUtc();
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _sweepFailures.Inc();
                log.LogWarning(e, "Retention sweep failed; trying again in {Interval}", o.SweepInterval);
            }
            await Task.Delay(o.SweepInterval, clock, ct);
        }
    }

    /// <summary>One full sweep of every table; returns the rows deleted per table.</summary>
    public async Task<Dictionary<string, int>> SweepOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var idempotencyCutoff = now - o.IdempotencyKeys;
        var eventsCutoff = now - o.StoreEvents;
        var auditCutoff = now - o.AuditLog;
        return new Dictionary<string, int>
        {
            ["idempotency_keys"] = await SweepAsync("idempotency_keys", db => db.IdempotencyRecords
                .Where(r => r.CreatedAt < idempotencyCutoff).OrderBy(r => r.CreatedAt).Take(o.BatchSize).ExecuteDeleteAsync(ct), o.BatchSize, ct),
            ["store_events"] = await SweepAsync("store_events", db => db.StoreEvents
                .Where(e => e.Time < eventsCutoff).OrderBy(e => e.Id).Take(o.BatchSize).ExecuteDeleteAsync(ct), o.BatchSize, ct),
            ["audit_log"] = await SweepAsync("audit_log", db => db.AuditLog
                .Where(a => a.Time < auditCutoff).OrderBy(a => a.Id).Take(o.BatchSize).ExecuteDeleteAsync(ct), o.BatchSize, ct),
        };
    }

    private async Task<int> SweepAsync(string table, Func<StorefleetDb, Task<int>> deleteBatch, int batchSize, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var deleted = await deleteBatch(db);
            total += deleted;
            _rowsSwept.WithLabels(table).Inc(deleted);
            if (deleted < batchSize) break;
        }
        if (total > 0) log.LogInformation("Retention sweep removed {Rows} expired rows from {Table}", total, table);
        return total;
    }
}

public static class RetentionSetup
{
    /// <summary>The sweep runs in API processes (workers have enough to do); any number of replicas may run it.</summary>
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().Bind(builder.Configuration.GetSection("Retention"))
            .Validate(o => { RetentionSweeper.Validate(o); return true; }).ValidateOnStart();
        builder.Services.AddSingleton<RetentionSweeper>();
        if (ProcessRoles.From(builder.Configuration).Api)
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RetentionSweeper>());
        return builder;
    }
}
