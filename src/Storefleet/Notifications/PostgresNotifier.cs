using System.Text;
using System.Threading.Channels;
using Npgsql;

namespace Storefleet.Notifications;

/// <summary>
/// News between processes over PostgreSQL: one dedicated connection LISTENs, NOTIFYs go through a small pool
/// of their own. Outgoing messages are batched: one NOTIFY carries every change queued meanwhile (under
/// PostgreSQL's 8000-byte payload limit; a fuller batch goes out as several NOTIFYs, nothing is dropped),
/// and concurrent wake-ups collapse into one.
/// </summary>
public sealed class PostgresNotifier : StoreNotifier, IHostedService, IAsyncDisposable
{
    public const string QueueChannel = "storefleet_queue";
    public const string ChangesChannel = "storefleet_store_changes";
    private const int MaxPayload = 7000;

    private readonly string _connectionString;
    private readonly NpgsqlDataSource _notify;
    private readonly ILogger<PostgresNotifier> _log;
    private readonly Channel<(NotificationKind Kind, string Change)> _outbox =
        Channel.CreateUnbounded<(NotificationKind, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loops = Task.CompletedTask;

    public PostgresNotifier(string connectionString, StoreQueueSignal signal, StoreChangeFeed feed, ILogger<PostgresNotifier> log) : base(signal, feed)
    {
        _connectionString = connectionString;
        _log = log;
        _notify = new NpgsqlDataSourceBuilder(
            new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 4, ApplicationName = "storefleet-notify" }.ToString()).Build();
    }

    protected override void Send(NotificationKind kind, string change) => _outbox.Writer.TryWrite((kind, change));

    /// <summary>Starts listening and waits (up to 5 s) until LISTEN is in effect, so news sent right after start-up is heard.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _loops = Task.WhenAll(ListenLoopAsync(_stopping.Token), SendLoopAsync(_stopping.Token));
        if (await Task.WhenAny(_listening.Task, Task.Delay(TimeSpan.FromSeconds(5), cancellationToken)) != _listening.Task)
            _log.LogWarning("PostgreSQL LISTEN is not in effect yet; workers poll until it is");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loops.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    // The host may dispose its services before or without stopping this one (a test app torn down while
    // starting): cancel rather than dispose the token source, so a late StopAsync still works; it holds no
    // timer or wait handle, so nothing leaks.
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loops.ContinueWith(_ => { }, TaskScheduler.Default);
        await _notify.DisposeAsync();
    }

    private async Task ListenLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_connectionString)
                {
                    Pooling = false, KeepAlive = 15, ApplicationName = "storefleet-listen",
                }.ToString());
                conn.Notification += (_, e) => Received(e.Channel == QueueChannel ? NotificationKind.Wake : NotificationKind.Change, e.Payload);
                await conn.OpenAsync(ct);
                await using (var listen = new NpgsqlCommand($"LISTEN {QueueChannel}; LISTEN {ChangesChannel};", conn))
                    await listen.ExecuteNonQueryAsync(ct);
                _listening.TrySetResult();
                Resubscribed();
                while (!ct.IsCancellationRequested) await conn.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogWarning(e, "PostgreSQL notification listener lost its connection; reconnecting in 2 s (workers fall back to polling meanwhile)");
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        var changes = new StringBuilder();
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(ct))
            {
                // A moment to gather: under load this turns hundreds of changes a second into a few NOTIFYs.
                await Task.Delay(20, ct);
                var wake = false;
                // The length is checked before an item is taken, so no item is ever taken and then left out.
                while (true)
                {
                    changes.Clear().Append(Sender).Append('|');
                    var empty = changes.Length;
                    while (changes.Length < MaxPayload && _outbox.Reader.TryRead(out var item))
                    {
                        if (item.Kind == NotificationKind.Wake) wake = true;
                        else changes.Append(changes.Length == empty ? "" : ";").Append(item.Change);
                    }
                    if (changes.Length == empty) break;
                    await NotifyAsync(ChangesChannel, changes.ToString());
                }
                if (wake) await NotifyAsync(QueueChannel, Sender);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task NotifyAsync(string channel, string payload)
    {
        try
        {
            await using var cmd = _notify.CreateCommand("SELECT pg_notify($1, $2)");
            cmd.Parameters.AddWithValue(channel);
            cmd.Parameters.AddWithValue(payload);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Best effort across processes (see IStoreNotifier): the other processes poll.
            _log.LogDebug(e, "NOTIFY failed; other processes fall back to polling");
        }
    }
}
