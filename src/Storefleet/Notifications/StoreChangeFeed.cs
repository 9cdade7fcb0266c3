using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Storefleet.Notifications;

/// <summary>
/// This process' subscribers to store changes (the live event streams), fed by <see cref="IStoreNotifier"/>
/// with changes from this process and, through its transport, from every other one.
/// </summary>
public sealed class StoreChangeFeed
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<StoreChangeSubscription, byte>> _subscribers = new();

    /// <summary>An account's sessions changed (see Auth.SessionStamps), here or in another process.</summary>
    public event Action<Guid>? AccountChanged;

    /// <summary>Open subscriptions in this process (what a test checks is back to zero after streams close).</summary>
    public int SubscriptionCount => _subscribers.Values.Sum(s => s.Count);

    /// <summary>Delivers a change to this process' subscribers; <see cref="Guid.Empty"/> as the store means "the account changed".</summary>
    public void Deliver(Guid ownerId, Guid storeId)
    {
        if (storeId == Guid.Empty) AccountChanged?.Invoke(ownerId);
        if (!_subscribers.TryGetValue(ownerId, out var subscriptions)) return;
        foreach (var subscription in subscriptions.Keys) subscription.Add(storeId);
    }

    /// <summary>Store ids of this owner as they change, until the subscription is disposed.</summary>
    public StoreChangeSubscription Subscribe(Guid ownerId)
    {
        var subscriptions = _subscribers.GetOrAdd(ownerId, _ => new());
        var subscription = new StoreChangeSubscription(self => subscriptions.TryRemove(self, out _));
        subscriptions[subscription] = 0;
        return subscription;
    }
}

/// <summary>
/// One reader's queue of changed store ids. Never drops one and never grows past the owner's number of
/// stores: an id not read yet is queued once however often it changes (the reader re-reads the committed row).
/// Dispose it (no pending read to cancel: it is a plain object, not an async iterator) to unsubscribe.
/// </summary>
public sealed class StoreChangeSubscription : IDisposable
{
    private readonly Channel<Guid> _queue = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<Guid> _queued = [];
    private readonly Action<StoreChangeSubscription> _unsubscribe;
    private bool _disposed;

    internal StoreChangeSubscription(Action<StoreChangeSubscription> unsubscribe) => _unsubscribe = unsubscribe;

    internal void Add(Guid storeId)
    {
        lock (_queued)
            if (_queued.Add(storeId)) _queue.Writer.TryWrite(storeId);
    }

    /// <summary>Waits until a change is queued: false when <paramref name="ct"/> fires first (no read stays pending).</summary>
    public async ValueTask<bool> WaitAsync(CancellationToken ct)
    {
        try
        {
            return await _queue.Reader.WaitToReadAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public bool TryRead(out Guid storeId)
    {
        lock (_queued)
        {
            if (!_queue.Reader.TryRead(out storeId)) return false;
            _queued.Remove(storeId);
            return true;
        }
    }

    public void Dispose()
    {
        lock (_queued)
        {
            if (_disposed) return;
            _disposed = true;
            _queue.Writer.TryComplete();
        }
        _unsubscribe(this);
    }
}
