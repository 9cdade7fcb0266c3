using System.Threading.Channels;

namespace Storefleet.Provisioning;

/// <summary>
/// Wakes the provisioning workers of this process when a store's spec changes, so a new or deleted
/// store is picked up at once instead of at the next poll. Coalescing: many wakes before the worker
/// looks count as one, and a wake with nobody waiting is remembered.
/// </summary>
public sealed class StoreQueueSignal
{
    private readonly Channel<bool> _wakes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Raised after <see cref="Wake"/>; other processes' listeners (PostgreSQL NOTIFY) hook in here.</summary>
    public event Action? Woken;

    public void Wake()
    {
        _wakes.Writer.TryWrite(true);
        Woken?.Invoke();
    }

    /// <summary>Wakes this process only (used when the wake came from another process).</summary>
    public void WakeLocal() => _wakes.Writer.TryWrite(true);

    /// <summary>Returns true when woken, false when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _wakes.Reader.ReadAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
