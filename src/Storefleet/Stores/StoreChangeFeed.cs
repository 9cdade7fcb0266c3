using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Storefleet.Stores;

/// <summary>
/// "One of this owner's stores changed": published by workers and the API after every committed change,
/// consumed by the live event stream. In one process it is a set of channels; with Redis or PostgreSQL
/// configured, a bridge carries it to every replica (see StoreNotifications).
/// </summary>
public sealed class StoreChangeFeed
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Channel<Guid>, byte>> _subscribers = new();

    /// <summary>Set by a cross-process bridge: publishing then goes through it, and it calls <see cref="Deliver"/> on every replica.</summary>
    public Action<Guid, Guid>? Bridge { get; set; }

    public void Publish(Guid ownerId, Guid storeId)
    {
        if (Bridge is { } bridge) bridge(ownerId, storeId);
        else Deliver(ownerId, storeId);
    }

    /// <summary>An account's sessions changed (see Auth.SessionStamps); raised on every replica the bridge reaches.</summary>
    public event Action<Guid>? AccountChanged;

    /// <summary>Carried like a store change with the empty store id, so every bridge already transports it.</summary>
    public void PublishAccountChanged(Guid userId) => Publish(userId, Guid.Empty);

    /// <summary>Every change delivered to this process, whoever owns the store (the fleet upgrade driver watches its waves with it). Handlers must be quick.</summary>
    public event Action<Guid, Guid>? Changed;

    /// <summary>Delivers a change to this process' subscribers; <see cref="Guid.Empty"/> as the store means "the account changed".</summary>
    public void Deliver(Guid ownerId, Guid storeId)
    {
        Changed?.Invoke(ownerId, storeId);
        if (storeId == Guid.Empty) AccountChanged?.Invoke(ownerId);
        if (!_subscribers.TryGetValue(ownerId, out var channels)) return;
        foreach (var channel in channels.Keys) channel.Writer.TryWrite(storeId);
    }

    /// <summary>Store ids of this owner as they change. A slow reader loses the oldest notifications, never blocks publishers.</summary>
    public async IAsyncEnumerable<Guid> Subscribe(Guid ownerId, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<Guid>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var channels = _subscribers.GetOrAdd(ownerId, _ => new());
        channels[channel] = 0;
        try
        {
            await foreach (var id in channel.Reader.ReadAllAsync(ct)) yield return id;
        }
        finally
        {
            channels.TryRemove(channel, out _);
        }
    }
}
