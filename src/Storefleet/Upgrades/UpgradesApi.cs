using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Storefleet.Audit;
using Storefleet.Auth;
using Storefleet.Data;
using Storefleet.Notifications;
using Storefleet.Provisioning;
using Storefleet.Stores;

namespace Storefleet.Upgrades;

public sealed record CreateRolloutRequest(string? ToVersion, string? FromVersion, int[]? Waves, int? MaxFailures, TimeSpan? PauseBetweenWaves, TimeSpan? WaveTimeout);

public sealed record ChartVersionResponse(string Version, int Stores, bool Default, bool Synthetic, bool Installable);

public sealed record ChartVersionsResponse(IReadOnlyList<ChartVersionResponse> Items);

public sealed record FailingStore(Guid Id, string Slug, string Name, StorePhase Status, string? Message);

public sealed record WaveResponse(int Percent, int Stores, int Upgraded, int Ready, int Failed, WaveState State, DateTime? StartedAt, DateTime? FinishedAt, IReadOnlyList<FailingStore> FailingStores);

/// <summary>While rolling back (and after): the touched stores and how many are Ready on their previous version again.</summary>
public sealed record RollbackResponse(int Stores, int Ready, int Failed);

public sealed record RolloutResponse(
    Guid Id, string? FromVersion, string ToVersion, RolloutState State, string Reason, int MaxFailures, TimeSpan PauseBetweenWaves, TimeSpan WaveTimeout,
    IReadOnlyList<WaveResponse> Waves, RollbackResponse? Rollback, string CreatedBy, DateTime CreatedAt, DateTime? FinishedAt);

public sealed record RolloutList(IReadOnlyList<RolloutResponse> Items);

/// <summary>Fleet upgrades: the chart catalog and rollouts, under the admin group (administrators only; tenants get 404).</summary>
public static class UpgradesApi
{
    private const int MaxWaves = 10;

    public static RouteGroupBuilder MapUpgrades(this RouteGroupBuilder admin)
    {
        admin.MapGet("/chart-versions", ListChartVersions).WithSummary("Store chart versions the platform can install, and how many stores want each");
        admin.MapPost("/upgrades", CreateRollout)
            .WithSummary("Roll a store chart version out to the fleet in health-gated waves")
            .WithDescription("`waves` are cumulative percentages of the eligible stores (those wanting `fromVersion`, or any version but `toVersion`, and in no other rollout), ending at 100. " +
                             "A wave starts once every store of the one before is Ready on the new version; more than `maxFailures` failed stores pause the rollout.");
        admin.MapGet("/upgrades", ListRollouts).WithSummary("The latest 20 rollouts, newest first");
        admin.MapGet("/upgrades/{id:guid}", GetRollout).WithSummary("One rollout, with its waves and failing stores");
        admin.MapPost("/upgrades/{id:guid}/pause", Pause).WithSummary("Stop starting new waves (stores already upgrading carry on)");
        admin.MapPost("/upgrades/{id:guid}/resume", Resume).WithSummary("Carry on a paused rollout; the failed stores of its wave are retried");
        admin.MapPost("/upgrades/{id:guid}/abort", Abort).WithSummary("Stop the rollout for good; upgraded stores keep the new version");
        admin.MapPost("/upgrades/{id:guid}/rollback", Rollback).WithSummary("Return every store the rollout touched to its previous version (also after Completed)");
        return admin;
    }

    private static async Task<Ok<ChartVersionsResponse>> ListChartVersions(StorefleetDb db, ChartCatalog catalog)
    {
        var counts = await db.Stores.Where(s => s.DeletionRequestedAt == null).GroupBy(s => s.ChartVersion)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
        var known = catalog.Versions.Select(v => new ChartVersionResponse(v.Version, counts.GetValueOrDefault(v.Version), v.Default, v.Synthetic, Installable: true));
        // Versions stores still want but the catalog no longer has: shown, so an operator sees them, but not installable.
        var orphaned = counts.Keys.Where(v => !catalog.Contains(v)).Select(v => new ChartVersionResponse(v, counts[v], false, false, Installable: false));
        return TypedResults.Ok(new ChartVersionsResponse([.. known.Concat(orphaned).OrderBy(v => v.Version, VersionOrder.Instance)]));
    }

    private static async Task<Results<Accepted<RolloutResponse>, ValidationProblem, ProblemHttpResult>> CreateRollout(
        CreateRolloutRequest body, StorefleetDb db, ChartCatalog catalog, AuditLog audit, TimeProvider clock, IStoreNotifier notifier,
        Microsoft.Extensions.Options.IOptions<UpgradeOptions> options, HttpContext http, CancellationToken ct)
    {
        var errors = Validate(body, catalog);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The rollout request is not valid");
        var to = body.ToVersion!;
        var from = body.FromVersion;
        var now = clock.GetUtcNow().UtcDateTime;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var clash = await db.Rollouts.Where(r => r.State == RolloutState.Running || r.State == RolloutState.Paused || r.State == RolloutState.RollingBack)
            .Where(r => from == null || r.FromVersion == null || r.FromVersion == from)
            .FirstOrDefaultAsync(ct);
        if (clash is not null)
            return TypedResults.Problem(title: "Another rollout is in progress",
                detail: $"Rollout {clash.Id} ({clash.FromVersion ?? "any version"} → {clash.ToVersion}) is {clash.State} for the same stores. " +
                        "One rollout at a time per source version: let it finish, or abort or roll it back first.",
                statusCode: StatusCodes.Status409Conflict);

        var rollout = new Rollout
        {
            Id = Guid.CreateVersion7(), FromVersion = from, ToVersion = to, MaxFailures = body.MaxFailures ?? 0,
            PauseBetweenWaves = body.PauseBetweenWaves ?? TimeSpan.Zero, WaveTimeout = body.WaveTimeout ?? options.Value.DefaultWaveTimeout,
            CreatedAt = now, UpdatedAt = now, CreatedBy = http.User.Email(),
        };
        db.Rollouts.Add(rollout);
        await db.SaveChangesAsync(ct);
        // The claim: a conditional update, so a store already in another rollout (or claimed by a concurrent request) is never taken.
        var claimed = await db.Stores
            .Where(s => s.RolloutId == null && s.DeletionRequestedAt == null && s.ChartVersion != to && (from == null || s.ChartVersion == from))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RolloutId, rollout.Id), ct);
        if (claimed == 0)
        {
            await tx.RollbackAsync(ct);
            return TypedResults.Problem(title: "No store to upgrade",
                detail: $"No store wants {(from is null ? $"a version other than {to}" : from)} outside another rollout. GET /admin/chart-versions shows which versions stores want.",
                statusCode: StatusCodes.Status409Conflict);
        }
        // Waves take the claimed stores in creation order (the oldest first), a stable order a resumed driver sees the same way.
        var members = await db.Stores.Where(s => s.RolloutId == rollout.Id).OrderBy(s => s.CreatedAt).ThenBy(s => s.Id)
            .Select(s => new { s.Id, s.ChartVersion }).ToListAsync(ct);
        var sizes = RolloutDecision.Split(members.Count, body.Waves!);
        var offset = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            rollout.Waves.Add(new RolloutWave { RolloutId = rollout.Id, Index = i, Percent = body.Waves![i], Stores = sizes[i] });
            db.RolloutStores.AddRange(members.Skip(offset).Take(sizes[i]).Select(m => new RolloutStore { RolloutId = rollout.Id, StoreId = m.Id, Wave = i, FromVersion = m.ChartVersion }));
            offset += sizes[i];
        }
        rollout.Reason = $"Created: {RolloutDecision.Stores(members.Count)} in {sizes.Length} waves; the first wave starts now.";
        audit.Record(db, "upgrade.create", "success", target: (rollout.Id.ToString(), Describe(rollout)),
            detail: $"{members.Count} stores, waves {string.Join("/", body.Waves!)} %, maxFailures {rollout.MaxFailures}, pause {rollout.PauseBetweenWaves}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        RolloutDriver.Nudge(notifier, rollout.Id);
        return TypedResults.Accepted($"/admin/upgrades/{rollout.Id}", await ResponseAsync(db, rollout, clock.GetUtcNow().UtcDateTime, ct));
    }

    private static Dictionary<string, string[]> Validate(CreateRolloutRequest body, ChartCatalog catalog)
    {
        var errors = new Dictionary<string, string[]>();
        var versions = string.Join(", ", catalog.Versions.Select(v => v.Version));
        if (string.IsNullOrWhiteSpace(body.ToVersion)) errors["toVersion"] = [$"toVersion is required: one of {versions} (GET /admin/chart-versions)."];
        else if (!catalog.Contains(body.ToVersion)) errors["toVersion"] = [$"Chart version '{Clip(body.ToVersion)}' is not one this platform can install: {versions}."];
        if (body.FromVersion is not null && (body.FromVersion.Length is 0 or > 32))
            errors["fromVersion"] = ["fromVersion must be a chart version (1 to 32 characters), or left out for every version other than toVersion."];
        else if (body.FromVersion is not null && body.FromVersion == body.ToVersion)
            errors["fromVersion"] = ["fromVersion and toVersion are the same: there is nothing to upgrade."];
        if (body.Waves is not { Length: > 0 } waves) errors["waves"] = ["waves is required: cumulative percentages ending at 100, for example [5, 25, 100]."];
        else if (waves.Length > MaxWaves) errors["waves"] = [$"At most {MaxWaves} waves."];
        else if (waves.Any(p => p is < 1 or > 100) || waves.Zip(waves.Skip(1)).Any(p => p.Second <= p.First) || waves[^1] != 100)
            errors["waves"] = ["waves are cumulative percentages between 1 and 100, strictly increasing and ending at 100, for example [5, 25, 100]."];
        if (body.MaxFailures is < 0) errors["maxFailures"] = ["maxFailures must be 0 or more."];
        if (body.PauseBetweenWaves is { } pause && (pause < TimeSpan.Zero || pause > TimeSpan.FromDays(7)))
            errors["pauseBetweenWaves"] = ["pauseBetweenWaves must be between 00:00:00 and 7.00:00:00."];
        if (body.WaveTimeout is { } timeout && (timeout < TimeSpan.FromSeconds(1) || timeout > TimeSpan.FromDays(7)))
            errors["waveTimeout"] = ["waveTimeout must be between 00:00:01 and 7.00:00:00."];
        return errors;
    }

    private static string Clip(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private static async Task<Ok<RolloutList>> ListRollouts(StorefleetDb db, TimeProvider clock, CancellationToken ct)
    {
        var rollouts = await db.Rollouts.AsNoTracking().Include(r => r.Waves).OrderByDescending(r => r.CreatedAt).Take(20).ToListAsync(ct);
        return TypedResults.Ok(new RolloutList(await ResponsesAsync(db, rollouts, clock.GetUtcNow().UtcDateTime, ct)));
    }

    private static async Task<Results<Ok<RolloutResponse>, ProblemHttpResult>> GetRollout(Guid id, StorefleetDb db, TimeProvider clock, CancellationToken ct)
    {
        var rollout = await db.Rollouts.AsNoTracking().Include(r => r.Waves).SingleOrDefaultAsync(r => r.Id == id, ct);
        return rollout is null ? NotFound(id) : TypedResults.Ok(await ResponseAsync(db, rollout, clock.GetUtcNow().UtcDateTime, ct));
    }

    private static Task<Results<Ok<RolloutResponse>, ProblemHttpResult>> Pause(Guid id, StorefleetDb db, AuditLog audit, TimeProvider clock, IStoreNotifier notifier, HttpContext http, CancellationToken ct) =>
        ActAsync(id, "pause", db, audit, clock, notifier, ct, (rollout, _) =>
        {
            if (rollout.State != RolloutState.Running) return Task.FromResult<object?>($"Only a Running rollout can be paused; this one is {rollout.State}.");
            rollout.State = RolloutState.Paused;
            rollout.Reason = $"Paused by {http.User.Email()}. Stores already upgrading carry on; no new wave starts until it is resumed.";
            return Task.FromResult<object?>(null);
        });

    private static Task<Results<Ok<RolloutResponse>, ProblemHttpResult>> Resume(Guid id, StorefleetDb db, AuditLog audit, TimeProvider clock, IStoreNotifier notifier, HttpContext http, CancellationToken ct) =>
        ActAsync(id, "resume", db, audit, clock, notifier, ct, async (rollout, now) =>
        {
            if (rollout.State != RolloutState.Paused) return $"Only a Paused rollout can be resumed; this one is {rollout.State}.";
            rollout.State = RolloutState.Running;
            rollout.Reason = $"Resumed by {http.User.Email()}.";
            if (rollout.Waves.SingleOrDefault(w => w.Index == rollout.CurrentWave) is { State: WaveState.Failed or WaveState.Running } wave)
            {
                // The operator fixed the cause: the wave's failed stores get a new generation (a retry) and the wave a new deadline.
                wave.State = WaveState.Running;
                wave.DeadlineAt = now + rollout.WaveTimeout;
                var index = wave.Index;
                var retried = await RolloutStores.SetChartVersionAsync(db,
                    db.Stores.Where(s => s.RolloutId == id && s.Phase == StorePhase.Error && s.ChartVersion == rollout.ToVersion
                                         && db.RolloutStores.Any(r => r.RolloutId == id && r.StoreId == s.Id && r.Wave == index)),
                    rollout.ToVersion, now, "UpgradeRetried", $"Upgrading to {rollout.ToVersion}: the fleet upgrade was resumed and retries the store.", ct);
                rollout.Reason += retried.Count > 0 ? $" {retried.Count} failed stores of wave {index + 1} are retried." : "";
                return retried;
            }
            return null;
        });

    private static Task<Results<Ok<RolloutResponse>, ProblemHttpResult>> Abort(Guid id, StorefleetDb db, AuditLog audit, TimeProvider clock, IStoreNotifier notifier, HttpContext http, CancellationToken ct) =>
        ActAsync(id, "abort", db, audit, clock, notifier, ct, async (rollout, now) =>
        {
            if (!rollout.IsActive) return $"Only a rollout in progress can be aborted; this one is {rollout.State}.";
            rollout.State = RolloutState.Aborted;
            rollout.FinishedAt = now;
            rollout.Reason = $"Aborted by {http.User.Email()}. Stores already given {rollout.ToVersion} keep it; the others were released. Roll back to undo the upgraded ones.";
            await RolloutStores.ReleaseClaimsAsync(db, id, ct);
            return null;
        });

    private static Task<Results<Ok<RolloutResponse>, ProblemHttpResult>> Rollback(Guid id, StorefleetDb db, AuditLog audit, TimeProvider clock, IStoreNotifier notifier, HttpContext http, CancellationToken ct) =>
        ActAsync(id, "rollback", db, audit, clock, notifier, ct, async (rollout, now) =>
        {
            if (rollout.State is RolloutState.RollingBack or RolloutState.RolledBack) return $"This rollout is {rollout.State} already.";
            // Take back the touched stores released when it finished (Completed, Aborted), unless another rollout has them now.
            await db.Stores.Where(s => s.RolloutId == null && db.RolloutStores.Any(r => r.RolloutId == id && r.StoreId == s.Id && r.UpgradedAt != null))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.RolloutId, id), ct);
            var elsewhere = await db.RolloutStores.CountAsync(r => r.RolloutId == id && r.UpgradedAt != null
                && db.Stores.Any(s => s.Id == r.StoreId && s.RolloutId != id && s.RolloutId != null), ct);
            // Then wanting the new version no longer holds the rest of the fleet back: stores not touched yet are released.
            await db.Stores.Where(s => s.RolloutId == id && !db.RolloutStores.Any(r => r.RolloutId == id && r.StoreId == s.Id && r.UpgradedAt != null))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.RolloutId, (Guid?)null), ct);
            var changed = new List<(Guid, Guid)>();
            var fromVersions = await db.RolloutStores.Where(r => r.RolloutId == id && r.UpgradedAt != null).Select(r => r.FromVersion).Distinct().ToListAsync(ct);
            foreach (var from in fromVersions)
                changed.AddRange(await RolloutStores.SetChartVersionAsync(db,
                    db.Stores.Where(s => s.RolloutId == id && s.ChartVersion != from
                                         && db.RolloutStores.Any(r => r.RolloutId == id && r.StoreId == s.Id && r.UpgradedAt != null && r.FromVersion == from)),
                    from, now, "RollbackRequested", $"Upgrading to {from}: the fleet upgrade to {rollout.ToVersion} is rolled back to the version the store ran before.", ct));
            foreach (var wave in rollout.Waves.Where(w => w.State is WaveState.Running)) wave.State = WaveState.Failed;
            rollout.State = RolloutState.RollingBack;
            rollout.FinishedAt = null;
            rollout.Reason = $"Rolling back, requested by {http.User.Email()}: {RolloutDecision.Stores(changed.Count)} return to their previous version." +
                             (elsewhere > 0 ? $" {elsewhere} touched stores are in another rollout now and were left alone." : "");
            return changed;
        });

    /// <summary>
    /// An administrator's action on a rollout: <paramref name="act"/> changes it (returning a refusal, or the stores it
    /// re-specified), and the change, the stores' changes and the audit entry commit together, fenced by the rollout's
    /// revision so that it never interleaves with a driver's transition (a race is retried from a fresh read).
    /// </summary>
    private static async Task<Results<Ok<RolloutResponse>, ProblemHttpResult>> ActAsync(
        Guid id, string action, StorefleetDb db, AuditLog audit, TimeProvider clock, IStoreNotifier notifier, CancellationToken ct,
        Func<Rollout, DateTime, Task<object?>> act)
    {
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var rollout = await db.Rollouts.Include(r => r.Waves).SingleOrDefaultAsync(r => r.Id == id, ct);
            if (rollout is null) return NotFound(id);
            var now = clock.GetUtcNow().UtcDateTime;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await RolloutStores.FenceAsync(db, rollout, ct))
            {
                if (attempt < 5) continue;
                return TypedResults.Problem(title: "The rollout is busy", detail: "The rollout changed while this request was applied. Try again.", statusCode: StatusCodes.Status409Conflict);
            }
            var outcome = await act(rollout, now);
            if (outcome is string refusal)
            {
                await tx.RollbackAsync(ct);
                return TypedResults.Problem(title: $"Cannot {action} this rollout", detail: refusal, statusCode: StatusCodes.Status409Conflict);
            }
            rollout.UpdatedAt = now;
            audit.Record(db, $"upgrade.{action}", "success", target: (id.ToString(), Describe(rollout)));
            try
            {
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            catch (DbUpdateConcurrencyException) when (attempt < 5)
            {
                continue;
            }
            if (outcome is List<(Guid, Guid)> changed) RolloutStores.Announce(changed, notifier);
            RolloutDriver.Nudge(notifier, id);
            return TypedResults.Ok(await ResponseAsync(db, rollout, clock.GetUtcNow().UtcDateTime, ct));
        }
    }

    private static string Describe(Rollout r) => $"{r.FromVersion ?? "*"} -> {r.ToVersion}";

    private static async Task<RolloutResponse> ResponseAsync(StorefleetDb db, Rollout rollout, DateTime now, CancellationToken ct) =>
        (await ResponsesAsync(db, [rollout], now, ct))[0];

    /// <summary>
    /// The rollouts as the API shows them, in at most three queries however many there are: their members, the members'
    /// stores, and the Ready message of the failing stores listed (at most 20 per wave).
    /// </summary>
    private static async Task<List<RolloutResponse>> ResponsesAsync(StorefleetDb db, IReadOnlyList<Rollout> rollouts, DateTime now, CancellationToken ct)
    {
        if (rollouts.Count == 0) return [];
        var members = (await RolloutStores.MembersAsync(db, [.. rollouts.Select(r => r.Id)], ct)).ToLookup(m => m.RolloutId);
        var failingByWave = new Dictionary<(Guid, int), List<RolloutMember>>();
        foreach (var rollout in rollouts)
            foreach (var wave in rollout.Waves.Where(w => w.State is WaveState.Running or WaveState.Failed))
                failingByWave[(rollout.Id, wave.Index)] = [.. members[rollout.Id].Where(m => m.Wave == wave.Index && m.Store is { Deleting: false } s
                    && !RolloutStores.IsReadyAt(s, rollout.ToVersion) && (s.Phase == StorePhase.Error || wave.DeadlineAt < now))];
        var listed = failingByWave.Values.SelectMany(f => f.Take(20)).Select(m => m.StoreId).Distinct().ToList();
        var messages = await RolloutStores.ReadyMessagesAsync(db, listed, ct);

        return [.. rollouts.Select(rollout =>
        {
            var of = members[rollout.Id].ToList();
            var waves = rollout.Waves.OrderBy(w => w.Index).Select(wave =>
            {
                var inWave = of.Where(m => m.Wave == wave.Index).ToList();
                var failing = failingByWave.GetValueOrDefault((rollout.Id, wave.Index)) ?? [];
                return new WaveResponse(wave.Percent, wave.Stores, inWave.Count(m => m.UpgradedAt is not null),
                    inWave.Count(m => m.Store is { } s && RolloutStores.IsReadyAt(s, rollout.ToVersion)), failing.Count, wave.State, wave.StartedAt, wave.FinishedAt,
                    [.. failing.Take(20).Select(m => new FailingStore(m.StoreId, m.Store!.Slug, m.Store.Name, m.Store.Phase, messages.GetValueOrDefault(m.StoreId)))]);
            }).ToList();
            RollbackResponse? rollback = null;
            if (rollout.State is RolloutState.RollingBack or RolloutState.RolledBack)
            {
                var touched = of.Where(m => m.UpgradedAt is not null && m.Store is { Deleting: false }).ToList();
                rollback = new RollbackResponse(touched.Count, touched.Count(m => RolloutStores.IsReadyAt(m.Store!, m.FromVersion)), touched.Count(m => m.Store!.Phase == StorePhase.Error));
            }
            return new RolloutResponse(rollout.Id, rollout.FromVersion, rollout.ToVersion, rollout.State, rollout.Reason, rollout.MaxFailures, rollout.PauseBetweenWaves,
                rollout.WaveTimeout, waves, rollback, rollout.CreatedBy, rollout.CreatedAt, rollout.FinishedAt);
        })];
    }

    private static ProblemHttpResult NotFound(Guid id) => TypedResults.Problem(
        title: "Rollout not found", detail: $"There is no rollout {id}. List rollouts with GET /admin/upgrades.", statusCode: StatusCodes.Status404NotFound);
}
