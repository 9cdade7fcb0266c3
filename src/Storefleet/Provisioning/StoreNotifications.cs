using System.Text;
using System.Threading.Channels;
using Npgsql;
using StackExchange.Redis;
using Storefleet.Data;
using Storefleet.Stores;

namespace Storefleet.Provisioning;

/// <summary>
/// Carries two kinds of news between processes: "the queue has new work" (wakes workers within a second,
/// without busy polling) and "this owner's store changed" (feeds every API replica's live stream).
/// PostgreSQL: LISTEN/NOTIFY for both. Redis, when configured, carries store changes instead.
/// SQLite alone: one process, in-memory signals, nothing to carry.
/// </summary>
public static class StoreNotifications
{
    public const string QueueChannel = "storefleet_queue";
    public const string ChangesChannel = "storefleet_store_changes";

    public static void Add(WebApplicationBuilder builder)
    {
        var postgres = builder.Configuration.GetConnectionString(DatabaseSetup.ConnectionName);
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            builder.Services.AddSingleton(_ => new PostgresNotifier(postgres));
            builder.Services.AddHostedService(sp => new PostgresListener(postgres, !string.IsNullOrWhiteSpace(redis), sp.GetRequiredService<PostgresNotifier>(),
                sp.GetRequiredService<StoreQueueSignal>(), sp.GetRequiredService<StoreChangeFeed>(), sp.GetRequiredService<ILogger<PostgresListener>>()));
        }
        if (!string.IsNullOrWhiteSpace(redis))
            builder.Services.AddHostedService<RedisChangeBridge>();
    }

    public static bool TryParseChange(string? payload, out Guid owner, out Guid store)
    {
        owner = store = Guid.Empty;
        var parts = payload?.Split('/');
        return parts is { Length: 2 } && Guid.TryParse(parts[0], out owner) && Guid.TryParse(parts[1], out store);
    }
}

/// <summary>Sends NOTIFY through its own small pool. Fire and forget: a lost notification costs at most the idle poll.</summary>
public sealed class PostgresNotifier(string connectionString) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source = new NpgsqlDataSourceBuilder(
        new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 4, ApplicationName = "storefleet-notify" }.ToString()).Build();

    public async Task NotifyAsync(string channel, string payload)
    {
        await using var cmd = _source.CreateCommand("SELECT pg_notify($1, $2)");
        cmd.Parameters.AddWithValue(channel);
        cmd.Parameters.AddWithValue(payload);
        await cmd.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}

/// <summary>One dedicated connection LISTENing for queue wake-ups (and store changes when Redis is not there).</summary>
public sealed class PostgresListener(
    string connectionString, bool redisCarriesChanges, PostgresNotifier notifier, StoreQueueSignal signal, StoreChangeFeed feed,
    ILogger<PostgresListener> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = SendLoopAsync(stoppingToken);
        signal.Woken += () => _ = Send(StoreNotifications.QueueChannel, "");
        if (!redisCarriesChanges) feed.Bridge = (owner, store) => _ = Send(StoreNotifications.ChangesChannel, $"{owner}/{store}");

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString)
                {
                    Pooling = false, KeepAlive = 15, ApplicationName = "storefleet-listen",
                }.ToString());
                conn.Notification += (_, e) =>
                {
                    if (e.Channel == StoreNotifications.QueueChannel) signal.WakeLocal();
                    else
                        foreach (var change in e.Payload.Split(';'))
                            if (StoreNotifications.TryParseChange(change, out var owner, out var store)) feed.Deliver(owner, store);
                };
                await conn.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {StoreNotifications.QueueChannel}; LISTEN {StoreNotifications.ChangesChannel};", conn))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                signal.WakeLocal(); // anything sent while we were not listening
                while (!stoppingToken.IsCancellationRequested) await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "PostgreSQL notification listener lost its connection; reconnecting in 2 s (workers fall back to polling meanwhile)");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    // Notifications are batched: one NOTIFY carries every change queued meanwhile (';'-separated, under
    // PostgreSQL's 8000-byte payload limit), and concurrent queue wake-ups collapse into one.
    private readonly Channel<(string Channel, string Payload)> _outbox = Channel.CreateUnbounded<(string, string)>(new UnboundedChannelOptions { SingleReader = true });

    private Task Send(string channel, string payload)
    {
        _outbox.Writer.TryWrite((channel, payload));
        return Task.CompletedTask;
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        var changes = new StringBuilder();
        while (await _outbox.Reader.WaitToReadAsync(ct))
        {
            // A moment to gather: under load this turns hundreds of changes a second into a few NOTIFYs.
            await Task.Delay(20, ct);
            var wake = false;
            changes.Clear();
            while (_outbox.Reader.TryRead(out var item) && changes.Length < 7000)
            {
                if (item.Channel == StoreNotifications.QueueChannel) wake = true;
                else changes.Append(changes.Length == 0 ? "" : ";").Append(item.Payload);
            }
            try
            {
                if (changes.Length > 0) await notifier.NotifyAsync(StoreNotifications.ChangesChannel, changes.ToString());
                if (wake) await notifier.NotifyAsync(StoreNotifications.QueueChannel, "");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogDebug(e, "NOTIFY failed; listeners fall back to polling");
            }
        }
    }
}

/// <summary>Store changes over Redis pub/sub, so every API replica's live stream sees every worker's progress.</summary>
public sealed class RedisChangeBridge(IConnectionMultiplexer redis, StoreChangeFeed feed, ILogger<RedisChangeBridge> log) : IHostedService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("storefleet:store-changes");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(Channel, (_, message) =>
        {
            if (StoreNotifications.TryParseChange(message, out var owner, out var store)) feed.Deliver(owner, store);
        });
        feed.Bridge = (owner, store) =>
        {
            try
            {
                subscriber.Publish(Channel, $"{owner}/{store}", CommandFlags.FireAndForget);
            }
            catch (RedisException e)
            {
                log.LogDebug(e, "Could not publish a store change; delivering locally");
                feed.Deliver(owner, store);
            }
        };
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
