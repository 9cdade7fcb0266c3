using Microsoft.Extensions.Options;
using Storefleet.Notifications;

namespace Storefleet.Provisioning;

/// <summary>
/// The worker loop: lease due stores, reconcile each (a bounded number at once), and sleep until woken
/// (a store changed, a slot freed) or the next store falls due. Any number of worker processes share
/// one database; a store's lease makes sure only one of them acts on it.
/// </summary>
public sealed class StoreWorker(
    StoreQueue queue, StoreReconciler reconciler, StoreQueueSignal signal, IOptions<WorkerOptions> options,
    ILogger<StoreWorker> log) : BackgroundService
{
    /// <summary>Lease owner identity: unique per process start.</summary>
    public string Identity { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        using var slots = new SemaphoreSlim(o.Concurrency);
        var running = new HashSet<Task>();
        log.LogInformation("Provisioning worker {Worker} started ({Concurrency} stores at once)", Identity, o.Concurrency);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var free = slots.CurrentCount;
                // Lease in batches: while busy, wait until a quarter of the slots are free, so one lease
                // query serves several stores instead of one query per finished store.
                var busy = free < o.Concurrency;
                var worthLeasing = free > 0 && (!busy || free >= Math.Max(1, o.Concurrency / 4));
                var leased = worthLeasing ? await queue.LeaseDueAsync(Identity, free, o.LeaseDuration, stoppingToken) : [];
                foreach (var id in leased)
                {
                    await slots.WaitAsync(stoppingToken);
                    var task = RunLeaseAsync(id, stoppingToken);
                    lock (running) running.Add(task);
                    _ = task.ContinueWith(t =>
                    {
                        slots.Release();
                        lock (running) running.Remove(t);
                        signal.Wake();
                    }, TaskScheduler.Default);
                }
                if (leased.Count > 0 && leased.Count == free) continue; // there may be more due right now

                // Nothing (more) to lease: sleep until a store changes, a slot frees, or the next one is due.
                var wait = worthLeasing ? await queue.NextDueInAsync(stoppingToken) ?? o.IdlePoll : o.IdlePoll;
                if (wait > o.IdlePoll) wait = o.IdlePoll;
                if (wait > TimeSpan.Zero) await signal.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Worker loop failed; retrying in 1 s");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        Task[] left;
        lock (running) left = [.. running];
        await Task.WhenAll(left).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Takes steps while each makes progress, renewing the lease meanwhile; a lost lease cancels the step.</summary>
    private async Task RunLeaseAsync(Guid id, CancellationToken stoppingToken)
    {
        var o = options.Value;
        using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewal = RenewWhileRunningAsync(id, leaseLost);
        try
        {
            await reconciler.ReconcileAsync(id, Identity, o.MaxStepsPerLease, o.FlushInterval, leaseLost.Token);
        }
        catch (OperationCanceledException) when (leaseLost.IsCancellationRequested)
        {
            // Shutting down or lease lost: the lease expires and whoever takes it over starts from observation.
        }
        catch (Exception e)
        {
            log.LogError(e, "Reconciling store {StoreId} failed", id);
        }
        finally
        {
            await leaseLost.CancelAsync();
            await renewal;
        }
    }

    private async Task RenewWhileRunningAsync(Guid id, CancellationTokenSource leaseLost)
    {
        var period = options.Value.LeaseDuration / 3;
        try
        {
            while (true)
            {
                await Task.Delay(period, leaseLost.Token);
                if (!await queue.RenewAsync(id, Identity, options.Value.LeaseDuration, leaseLost.Token))
                {
                    log.LogWarning("Lost the lease on store {StoreId}; abandoning the step", id);
                    await leaseLost.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not renew the lease on store {StoreId}; abandoning the step", id);
            await leaseLost.CancelAsync();
        }
    }
}
