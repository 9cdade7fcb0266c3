using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Storefleet.Auth;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>The stores API on both providers.</summary>
public class StoresTests
{
    public static TheoryData<Db> Databases => [Db.Sqlite, Db.Postgres];

    private static async Task<TestApp> Start(Db db, IDictionary<string, string?>? settings = null)
    {
        TestServices.Require(db);
        var s = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Roles"] = "api" };
        return new TestApp(db, s);
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task CreatingAStoreAnswers202WithAPendingStore(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");

        var response = await ana.PostJson("/stores", new { name = "Ana's Bakery" });

        var problem = await response.AssertProblem(400); // apostrophes are not allowed
        Assert.Contains("letters, digits, spaces and hyphens", problem.Errors!["name"][0]);

        var created = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        Assert.Equal(("Ana Bakery", "ana-bakery", "woocommerce", StorePhase.Pending), (created.Name, created.Slug, created.Engine, created.Status));
        Assert.Null(created.Urls);
        Assert.NotEqual(Guid.Empty, created.Id);

        var fetched = await ana.GetFromJsonAsync<StoreResponse>($"/stores/{created.Id}", Json.Options);
        Assert.Equal(created.Id, fetched!.Id);
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task ConditionsWrittenInTheFormerOwnedJsonFormReadBackUnchanged(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        // As EF wrote them while the conditions were an owned JSON collection (PostgreSQL's jsonb reorders the keys),
        // one time with and one without its "Z".
        const string former = """
            [{"Type": "Ready", "Reason": "StoreReady", "Status": "True", "Message": "The storefront and admin are up.", "LastTransitionTime": "2026-11-30T08:15:00.123456Z"},
             {"Type": "NamespaceReady", "Reason": "Created", "Status": "True", "Message": "Namespace store-ana-bakery exists.", "LastTransitionTime": "2026-11-30T08:14:00"}]
            """;
        await using (var context = app.NewDb())
        {
            var sql = context.Database.IsNpgsql()
                ? "UPDATE \"Stores\" SET \"Conditions\" = CAST({0} AS jsonb) WHERE \"Id\" = {1}"
                : "UPDATE \"Stores\" SET \"Conditions\" = {0} WHERE \"Id\" = {1}";
            Assert.Equal(1, await context.Database.ExecuteSqlRawAsync(sql, former, store.Id));
        }

        var one = await ana.GetFromJsonAsync<StoreResponse>($"/stores/{store.Id}", Json.Options);
        var listed = (await ana.GetFromJsonAsync<Page<StoreResponse>>("/stores", Json.Options))!.Items.Single();
        var raw = await ana.GetStringAsync($"/stores/{store.Id}");

        foreach (var seen in new[] { one!, listed })
        {
            Assert.Equal(["Ready", "NamespaceReady"], seen.Conditions.Select(c => c.Type));
            Assert.Equal("The storefront and admin are up.", seen.Message);
            Assert.Equal(new DateTime(2026, 11, 30, 8, 15, 0, 123, 456, DateTimeKind.Utc), seen.Conditions[0].LastTransitionTime);
            Assert.Equal(new DateTime(2026, 11, 30, 8, 14, 0, DateTimeKind.Utc), seen.Conditions[1].LastTransitionTime);
        }
        Assert.Contains("\"lastTransitionTime\":\"2026-11-30T08:14:00Z\"", raw); // read as UTC, shown as UTC
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task AStoreAndAPageAreWrittenByteForByteAsTheApiJsonOptionsWriteThem(Db db)
    {
        // GET one and the list write through the source generator's fast path (Api/JsonOk), not the API's
        // JsonOptions; what a client reads must not change: same bytes, every optional field in both states.
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com", quota: 5);
        var ready = await (await ana.PostJson("/stores", new { name = "Café Ünïcode" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await ana.PostJson("/stores", new { name = "Plain Shop" }); // Pending: no urls, no message
        await using (var data = app.NewDb())
        {
            var store = await data.Stores.SingleAsync(s => s.Id == ready.Id);
            store.Phase = StorePhase.Ready;
            store.StorefrontUrl = "http://cafe.example/";
            store.AdminUrl = "http://cafe.example/wp-admin/";
            store.RunningChartVersion = "0.1.0";
            store.ChartVersion = "0.2.0"; // upgrading: targetChartVersion is set
            store.Conditions = [new StoreCondition { Type = "Ready", Status = "True", Reason = "StoreReady", Message = "Up <&> \"quoted\".", LastTransitionTime = DateTime.UtcNow }];
            await data.SaveChangesAsync();
        }
        var options = app.Service<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;

        var one = await ana.GetAsync($"/stores/{ready.Id}");
        var list = await ana.GetAsync("/stores?limit=5");

        var oneBody = await one.Content.ReadAsStringAsync();
        var listBody = await list.Content.ReadAsStringAsync();
        Assert.Equal("application/json; charset=utf-8", one.Content.Headers.ContentType!.ToString());
        Assert.Equal("application/json; charset=utf-8", list.Content.Headers.ContentType!.ToString());
        var store1 = System.Text.Json.JsonSerializer.Deserialize<StoreResponse>(oneBody, options)!;
        var page = System.Text.Json.JsonSerializer.Deserialize<Page<StoreResponse>>(listBody, options)!;
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(store1, options), oneBody);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(page, options), listBody);
        Assert.Equal(("0.1.0", "0.2.0", "Up <&> \"quoted\"."), (store1.ChartVersion, store1.TargetChartVersion, store1.Message));
        Assert.Contains(page.Items, s => s.Urls is null && s.Message is null && s.TargetChartVersion is null);
        Assert.Contains("\"status\":\"Ready\"", oneBody);
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task AnotherTenantsStoreIsNotFoundForReadingOrDeleting(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");
        var bob = await app.ClientFor("bob@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);

        await (await bob.GetAsync($"/stores/{store.Id}")).AssertProblem(404);
        await (await bob.DeleteAsync($"/stores/{store.Id}")).AssertProblem(404);
        await (await bob.GetAsync($"/stores/{store.Id}/events")).AssertProblem(404);
        var bobs = await bob.GetFromJsonAsync<Page<StoreResponse>>("/stores", Json.Options);

        Assert.Empty(bobs!.Items);
        var still = await ana.GetFromJsonAsync<StoreResponse>($"/stores/{store.Id}", Json.Options);
        Assert.Equal(StorePhase.Pending, still!.Status);
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task DeletingAnswers202TwiceAnd404ForUnknownStores(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);

        var first = await (await ana.DeleteAsync($"/stores/{store.Id}")).Read<StoreResponse>(HttpStatusCode.Accepted);
        var second = await (await ana.DeleteAsync($"/stores/{store.Id}")).Read<StoreResponse>(HttpStatusCode.Accepted);
        await (await ana.DeleteAsync($"/stores/{Guid.NewGuid()}")).AssertProblem(404);

        Assert.Equal(StorePhase.Deleting, first.Status);
        Assert.Equal(StorePhase.Deleting, second.Status);
        var events = await ana.GetFromJsonAsync<Page<StoreEventResponse>>($"/stores/{store.Id}/events", Json.Options);
        Assert.Equal(["Created", "DeletionRequested"], events!.Items.Select(e => e.Reason));
        await using var data = app.NewDb();
        Assert.Equal(1, await data.AuditLog.CountAsync(a => a.Action == "store.delete"));
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task ListingPagesThroughEveryStoreExactlyOnceNewestFirst(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com", quota: 20);
        var created = new List<Guid>();
        for (var i = 0; i < 7; i++)
            created.Add((await (await ana.PostJson("/stores", new { name = $"Shop {i}" })).Read<StoreResponse>(HttpStatusCode.Accepted)).Id);
        await ana.DeleteAsync($"/stores/{created[3]}");

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await ana.GetFromJsonAsync<Page<StoreResponse>>($"/stores?limit=3{(cursor is null ? "" : $"&cursor={cursor}")}", Json.Options);
            seen.AddRange(page!.Items.Select(s => s.Id));
            cursor = page.NextCursor;
            pages++;
        } while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(created), seen);
        Assert.Equal(3, pages);
        var deleting = await ana.GetFromJsonAsync<Page<StoreResponse>>("/stores?status=deleting", Json.Options);
        Assert.Equal([created[3]], deleting!.Items.Select(s => s.Id));
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task SlugsAreUniquePlatformWideWithASuffixOnCollision(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");
        var bob = await app.ClientFor("bob@example.com");

        var first = await (await ana.PostJson("/stores", new { name = "Corner Shop" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        var second = await (await bob.PostJson("/stores", new { name = "corner   shop".Replace("   ", " ") })).Read<StoreResponse>(HttpStatusCode.Accepted);
        var reserved = await (await bob.PostJson("/stores", new { name = "api" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        var accented = await (await bob.PostJson("/stores", new { name = "Café Zürich" })).Read<StoreResponse>(HttpStatusCode.Accepted);

        Assert.Equal("corner-shop", first.Slug);
        Assert.Matches("^corner-shop-[a-z0-9]{5}$", second.Slug);
        Assert.Equal("store-api", reserved.Slug);
        Assert.Equal("cafe-zurich", accented.Slug);
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task TheQuotaCountsActiveStoresAndADeletedStoreFreesItsPlace(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");
        var stores = new List<StoreResponse>();
        for (var i = 0; i < 3; i++)
            stores.Add(await (await ana.PostJson("/stores", new { name = $"Shop {i}" })).Read<StoreResponse>(HttpStatusCode.Accepted));

        var refused = await ana.PostJson("/stores", new { name = "One Too Many" });
        var problem = await refused.AssertProblem(409);
        Assert.Contains("3 of 3", problem.Detail);
        Assert.EndsWith("quota-exceeded", problem.Type);

        await ana.DeleteAsync($"/stores/{stores[0].Id}");
        var me = await ana.GetFromJsonAsync<MeResponse>("/me", Json.Options);
        Assert.Equal(new QuotaResponse(2, 3), me!.Quota);
        (await ana.PostJson("/stores", new { name = "Now It Fits" })).EnsureSuccessStatusCode();
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task FiftyConcurrentCreatesWithQuotaThreeCreateExactlyThree(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => ana.PostJson("/stores", new { name = $"Race {i}" })));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(47, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        await using var data = app.NewDb();
        Assert.Equal(3, await data.Stores.CountAsync());
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task RetryingACreateWithTheSameIdempotencyKeyReplaysTheFirstAnswer(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");

        var first = await ana.PostJson("/stores", new { name = "Ana Bakery" }, idempotencyKey: "key-1");
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => ana.PostJson("/stores", new { name = "Ana Bakery" }, idempotencyKey: "key-1")));

        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        foreach (var replay in concurrent)
        {
            Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
            Assert.Equal(firstBody, await replay.Content.ReadAsStringAsync());
        }
        await using var data = app.NewDb();
        Assert.Equal(1, await data.Stores.CountAsync());
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task ReusingAnIdempotencyKeyForADifferentStoreIsRefused(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");
        var bob = await app.ClientFor("bob@example.com");
        (await ana.PostJson("/stores", new { name = "Ana Bakery" }, idempotencyKey: "key-1")).EnsureSuccessStatusCode();

        var mismatch = await ana.PostJson("/stores", new { name = "Ana Florist" }, idempotencyKey: "key-1");
        var otherUserSameKey = await bob.PostJson("/stores", new { name = "Bob Florist" }, idempotencyKey: "key-1");

        var problem = await mismatch.AssertProblem(422);
        Assert.Contains("new key", problem.Detail);
        Assert.Equal(HttpStatusCode.Accepted, otherUserSameKey.StatusCode); // keys are per user
        await using var data = app.NewDb();
        Assert.Equal(2, await data.Stores.CountAsync());
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task CreateAndDeleteAreAuditedWithActorSourceIpAndOutcome(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com", quota: 1);
        var admin = await app.ClientFor("root@example.com", Roles.Admin);
        var store = await (await ana.PostJson("/stores", new { name = "Ana Bakery" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await ana.PostJson("/stores", new { name = "Over Quota" });
        await ana.DeleteAsync($"/stores/{store.Id}");
        // The provisioning engine removes the row once the cluster is clean; the audit and timeline stay.
        await using (var data = app.NewDb()) await data.Stores.Where(s => s.Id == store.Id).ExecuteDeleteAsync();

        var audit = await admin.GetFromJsonAsync<Page<Storefleet.Audit.AuditEntry>>("/admin/audit?actor=ana@example.com", Json.Options);
        var events = await admin.GetFromJsonAsync<Page<Storefleet.Audit.AuditEntry>>($"/admin/audit?targetId={store.Id}", Json.Options);

        Assert.Equal(
            [("store.delete", "success"), ("store.create", "denied"), ("store.create", "success")],
            audit!.Items.Select(a => (a.Action, a.Outcome)));
        Assert.All(audit.Items, a => Assert.False(string.IsNullOrEmpty(a.SourceIp)));
        Assert.Equal(2, events!.Items.Count);
        await using var after = app.NewDb();
        Assert.Equal(2, await after.StoreEvents.CountAsync(e => e.StoreId == store.Id));
    }

    [SkippableTheory, MemberData(nameof(Databases))]
    public async Task AdminsSeeEveryTenantsStoresAndTenantsCannot(Db db)
    {
        await using var app = await Start(db);
        var ana = await app.ClientFor("ana@example.com");
        var bob = await app.ClientFor("bob@example.com");
        var admin = await app.ClientFor("root@example.com", Roles.Admin);
        (await ana.PostJson("/stores", new { name = "Ana Bakery" })).EnsureSuccessStatusCode();
        (await bob.PostJson("/stores", new { name = "Bob Florist" })).EnsureSuccessStatusCode();

        var all = await admin.GetFromJsonAsync<Page<AdminStoreResponse>>("/admin/stores", Json.Options);

        Assert.Equal(["bob@example.com", "ana@example.com"], all!.Items.Select(s => s.OwnerEmail));
        await (await ana.GetAsync("/admin/stores")).AssertProblem(404);
        await (await ana.GetAsync("/admin/audit")).AssertProblem(404);
    }
}
