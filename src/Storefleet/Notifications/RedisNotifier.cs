using StackExchange.Redis;

namespace Storefleet.Notifications;

/// <summary>News between processes over Redis pub/sub (when <c>ConnectionStrings:Redis</c> is set): every API replica's
/// live stream sees every worker's progress, and every worker hears every wake-up.</summary>
public sealed class RedisNotifier(IConnectionMultiplexer redis, StoreQueueSignal signal, StoreChangeFeed feed, ILogger<RedisNotifier> log)
    : StoreNotifier(signal, feed), IHostedService
{
    private static readonly RedisChannel Changes = RedisChannel.Literal("storefleet:store-changes");
    private static readonly RedisChannel Queue = RedisChannel.Literal("storefleet:queue");

    /// <summary>Subscribes before the host starts serving, so nothing published after start-up is missed here.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(Changes, (_, message) => Received(NotificationKind.Change, message));
        await subscriber.SubscribeAsync(Queue, (_, message) => Received(NotificationKind.Wake, message));
        redis.ConnectionRestored += (_, _) => Resubscribed();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override void Send(NotificationKind kind, string change)
    {
        try
        {
            redis.GetSubscriber().Publish(kind == NotificationKind.Wake ? Queue : Changes,
                kind == NotificationKind.Wake ? Sender : $"{Sender}|{change}", CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            // Best effort across processes (see IStoreNotifier); this process has it already.
            log.LogDebug(e, "Could not publish to Redis; other processes fall back to polling");
        }
    }
}
