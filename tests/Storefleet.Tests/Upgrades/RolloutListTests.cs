using System.Data.Common;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Storefleet.Auth;
using Storefleet.Data;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;
using Storefleet.Upgrades;

namespace Storefleet.Tests.Upgrades;

/// <summary>GET /admin/upgrades reads a fixed number of queries, however many rollouts it lists.</summary>
public class RolloutListTests
{
    [Fact]
    public async Task ListingTwentyRolloutsTakesNoMoreQueriesThanListingTwo()
    {
        var queries = new RolloutListQueries();
        await using var app = new TestApp(settings: Fleet.Settings(), services: s =>
        {
            s.AddSingleton<IStartupFilter>(queries);
            s.ConfigureDbContext<SqliteStorefleetDb>(o => o.AddInterceptors(queries), ServiceLifetime.Singleton);
        });
        var admin = await app.ClientFor("root@example.com", Roles.Admin);
        var ana = await app.CreateUser("ana@example.com");

        await Seed(app, ana.Id, from: 0, count: 2);
        await List(admin, queries); // the first request of a session may read more (the caller), once
        var (two, few) = await List(admin, queries);
        await Seed(app, ana.Id, from: 2, count: 18);
        var (twenty, many) = await List(admin, queries);

        Assert.Equal(2, two.Items.Count);
        Assert.Equal(20, twenty.Items.Count);
        Assert.True(few > 0, "the interceptor saw the request's queries");
        Assert.Equal(few, many);
        // What the queries feed is still all there: each rollout's failed wave names its failing store and why.
        Assert.All(twenty.Items, r =>
        {
            var failed = r.Waves[0];
            Assert.Equal((WaveState.Failed, 2, 1, 1), (failed.State, failed.Stores, failed.Ready, failed.Failed));
            var failing = Assert.Single(failed.FailingStores);
            Assert.Equal((StorePhase.Error, "setup failed at 0.3.0"), (failing.Status, failing.Message));
            Assert.Empty(r.Waves[1].FailingStores);
        });
    }

    private static async Task<(RolloutList List, int Queries)> List(HttpClient admin, RolloutListQueries queries)
    {
        queries.Reset();
        var list = await admin.GetFromJsonAsync<RolloutList>("/admin/upgrades", Json.Options);
        return (list!, queries.Count);
    }

    /// <summary>Paused rollouts (the driver leaves them alone), each with a failed first wave of two stores (one Ready at the new version, one in Error) and a pending second.</summary>
    private static async Task Seed(TestApp app, Guid owner, int from, int count)
    {
        await using var db = app.NewDb();
        var now = DateTime.UtcNow;
        for (var i = from; i < from + count; i++)
        {
            var rollout = new Rollout
            {
                Id = Guid.CreateVersion7(), ToVersion = "0.3.0", State = RolloutState.Paused, CurrentWave = 0, CreatedBy = "root@example.com",
                CreatedAt = now.AddMinutes(i), UpdatedAt = now, Reason = "Paused automatically.",
            };
            rollout.Waves.Add(new RolloutWave { Index = 0, Percent = 50, Stores = 2, State = WaveState.Failed, StartedAt = now, DeadlineAt = now.AddHours(1) });
            rollout.Waves.Add(new RolloutWave { Index = 1, Percent = 100, Stores = 0 });
            db.Rollouts.Add(rollout);
            foreach (var (name, phase, message) in new[] { ($"ok{i}", StorePhase.Ready, "up"), ($"bad{i}", StorePhase.Error, "setup failed at 0.3.0") })
            {
                var store = new Store
                {
                    Id = Guid.CreateVersion7(), OwnerId = owner, Name = name, Slug = name, Engine = "woocommerce", ChartVersion = "0.3.0",
                    RunningChartVersion = phase == StorePhase.Ready ? "0.3.0" : "0.1.0", Phase = phase, RolloutId = rollout.Id, CreatedAt = now, UpdatedAt = now,
                    Conditions = [new StoreCondition { Type = "Ready", Status = phase == StorePhase.Ready ? "True" : "False", Reason = "x", Message = message, LastTransitionTime = now }],
                };
                db.Stores.Add(store);
                db.RolloutStores.Add(new RolloutStore { RolloutId = rollout.Id, StoreId = store.Id, Wave = 0, FromVersion = "0.1.0", UpgradedAt = now });
            }
        }
        await db.SaveChangesAsync();
    }

    /// <summary>Counts the database commands run while serving GET /admin/upgrades (marked by a middleware, so the engine's own queries do not count).</summary>
    private sealed class RolloutListQueries : DbCommandInterceptor, IStartupFilter
    {
        private static readonly AsyncLocal<bool> Serving = new();
        private int _count;
        public int Count => _count;
        public void Reset() => _count = 0;

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                if (context.Request.Path == "/admin/upgrades") Serving.Value = true;
                await following(context);
            });
            next(app);
        };

        private void Saw()
        {
            if (Serving.Value) Interlocked.Increment(ref _count);
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken ct = default)
        {
            Saw();
            return base.ReaderExecutingAsync(command, eventData, result, ct);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken ct = default)
        {
            Saw();
            return base.ScalarExecutingAsync(command, eventData, result, ct);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
        {
            Saw();
            return base.NonQueryExecutingAsync(command, eventData, result, ct);
        }
    }
}
