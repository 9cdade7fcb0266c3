namespace Storefleet.Notifications;

/// <summary>
/// The one way news leaves an API request or a reconcile step: "the queue has work" (wakes the provisioning
/// workers) and "one of this owner's stores changed" (feeds the live event streams; the empty store id means
/// "the account changed", see Auth.SessionStamps). One implementation is chosen at start-up
/// (<see cref="NotificationsSetup"/>): in-process, PostgreSQL LISTEN/NOTIFY, or Redis pub/sub.
/// <para>Delivery guarantee:</para>
/// <list type="bullet">
/// <item>In this process, always and before the call returns: the workers' signal is set and every local
/// stream of the owner has the store id queued. Nothing is dropped; repeated changes of one store that a
/// stream has not read yet are coalesced into one (the stream re-reads the committed row anyway).</item>
/// <item>To the other processes: best effort, at most once (NOTIFY or PUBLISH, batched). Nothing depends
/// on it for correctness, because the database is the truth: a lost wake-up costs a worker at most
/// <c>Provisioning:Worker:IdlePoll</c>, a lost change reaches the stream with that store's next change or the
/// browser's reconnect, and a lost account notice at most <c>Auth:SessionCacheDuration</c> (≤ 30 s).</item>
/// </list>
/// </summary>
public interface IStoreNotifier
{
    /// <summary>Wakes the provisioning workers of every process (a store's spec changed).</summary>
    void WakeWorkers();

    /// <summary>One of <paramref name="ownerId"/>'s stores changed and the change is committed.</summary>
    void StoreChanged(Guid ownerId, Guid storeId);

    /// <summary>An account's sessions changed (after commit); carried like a store change with the empty store id.</summary>
    void AccountChanged(Guid userId) => StoreChanged(userId, Guid.Empty);
}

/// <summary>
/// Local delivery plus a transport to the other processes. Messages carry the sending process' id, so a
/// process never delivers its own news twice (it delivered them locally already).
/// </summary>
public abstract class StoreNotifier(StoreQueueSignal signal, StoreChangeFeed feed) : IStoreNotifier
{
    /// <summary>This process, as written into every message it sends.</summary>
    protected string Sender { get; } = Guid.NewGuid().ToString("N");

    public void WakeWorkers()
    {
        signal.Wake();
        Send(NotificationKind.Wake, "");
    }

    public void StoreChanged(Guid ownerId, Guid storeId)
    {
        feed.Deliver(ownerId, storeId);
        Send(NotificationKind.Change, $"{ownerId}/{storeId}");
    }

    /// <summary>Hands one message to the transport; must not block and must not throw.</summary>
    protected abstract void Send(NotificationKind kind, string change);

    /// <summary>A message from the transport: <c>sender|change;change…</c> (changes) or <c>sender</c> (wakes).</summary>
    protected void Received(NotificationKind kind, string? message)
    {
        if (string.IsNullOrEmpty(message)) return;
        var bar = message.IndexOf('|');
        var sender = bar < 0 ? message : message[..bar];
        if (sender == Sender) return;
        if (kind == NotificationKind.Wake)
        {
            signal.Wake();
            return;
        }
        foreach (var change in message[(bar + 1)..].Split(';'))
        {
            var parts = change.Split('/');
            if (parts.Length == 2 && Guid.TryParse(parts[0], out var owner) && Guid.TryParse(parts[1], out var store))
                feed.Deliver(owner, store);
        }
    }

    /// <summary>After a reconnect: anything sent meanwhile is unknown, so workers look at the queue once.</summary>
    protected void Resubscribed() => signal.Wake();
}

public enum NotificationKind { Wake, Change }

/// <summary>One process (SQLite, a laptop): local delivery is all there is.</summary>
public sealed class InProcessNotifier(StoreQueueSignal signal, StoreChangeFeed feed) : StoreNotifier(signal, feed)
{
    protected override void Send(NotificationKind kind, string change) { }
}
