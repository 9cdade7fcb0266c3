using System.Threading.Channels;

namespace Storefleet.Notifications;

/// <summary>
/// Wakes this process' provisioning workers (set by <see cref="IStoreNotifier"/>, for wakes from here or from
/// another process, and by the worker itself when a slot frees). Coalescing: many wakes before the worker
/// looks count as one, and a wake with nobody waiting is remembered.
/// </summary>
public sealed class StoreQueueSignal
{
    private readonly Channel<bool> _wakes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private int _sleeping;

    public void Wake() => _wakes.Writer.TryWrite(true);

    /// <summary>
    /// Workers in <see cref="WaitAsync"/> right now: each has leased all that was due and sleeps until woken or
    /// its wait ends. Tests wait for this rather than sleeping a guessed time before proving a wake-up works.
    /// </summary>
    public int Sleeping => Volatile.Read(ref _sleeping);

    /// <summary>Returns true when woken, false when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        Interlocked.Increment(ref _sleeping);
        try
        {
            await _wakes.Reader.ReadAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _sleeping);
        }
    }
}
