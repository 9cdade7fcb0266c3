using System.Net;
using Microsoft.EntityFrameworkCore;
using Storefleet.Cluster;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Provisioning;

/// <summary>
/// The whole engine on the simulated twin, with objects in the cluster that are not the store's: they are
/// reported as NamespaceConflict, never written to (the twin counts refused writes: the engine must not even
/// try), never deleted with the store; and a deleted store's slug is not handed out again at once.
/// </summary>
public class OwnershipEngineTests
{
    private static readonly Guid OldStore = Guid.Parse("0190aaaa-0000-7000-8000-000000000001");

    private static async Task<StoreResponse> Create(HttpClient client, string name) =>
        await (await client.PostJson("/stores", new { name })).Read<StoreResponse>(HttpStatusCode.Accepted);

    private static async Task<StoreCondition> ReadyCondition(TestApp app, Guid id)
    {
        await using var db = app.NewDb();
        return (await db.Stores.AsNoTracking().SingleAsync(s => s.Id == id)).Conditions.Single(c => c.Type == "Ready");
    }

    [Theory]
    [InlineData(true)]  // another store's namespace, with its Secret and release (a database restored to an older state)
    [InlineData(false)] // a namespace someone made by hand, without Storefleet labels
    public async Task ANewStoreWhoseNamespaceIsTakenEndsInNamespaceConflictAndDeletingItLeavesTheNamespaceAlone(bool anotherStores)
    {
        await using var app = new TestApp(settings: Engine.Fast(timeout: "00:01:00"));
        var sim = app.Service<SimulatedCluster>();
        sim.PlantForeignNamespace("ana-bakery", anotherStores ? OldStore : null, anotherStores ? "old-stores-password" : null);
        var ana = await app.ClientFor("ana@example.com");

        var store = await Create(ana, "Ana Bakery");
        await app.WaitForPhase(store.Id, StorePhase.Error);
        var ready = await ReadyCondition(app, store.Id);
        var credentials = await ana.GetAsync($"/stores/{store.Id}/credentials");

        Assert.Equal("ana-bakery", store.Slug);
        Assert.Equal("NamespaceConflict", ready.Reason);
        Assert.Contains("Namespace store-ana-bakery", ready.Message);
        Assert.Contains(anotherStores ? $"storefleet.dev/store-id={OldStore}" : "is not labelled as this store's", ready.Message);
        Assert.Equal(HttpStatusCode.Conflict, credentials.StatusCode);
        var refusal = await credentials.Content.ReadAsStringAsync();
        Assert.DoesNotContain("old-stores-password", refusal);
        Assert.Contains("The store failed and has no admin login", refusal); // not "not ready yet": it stopped trying
        await using (var db = app.NewDb())
        {
            Assert.Null((await db.Stores.SingleAsync(s => s.Id == store.Id)).DueAt); // terminal: no retry loop
            Assert.Equal(1, await db.StoreEvents.CountAsync(e => e.StoreId == store.Id && e.Reason == "NamespaceConflict" && e.Type == "Warning"));
        }

        (await ana.DeleteAsync($"/stores/{store.Id}")).EnsureSuccessStatusCode();
        await app.WaitUntilGone(store.Id);

        var books = sim.Books("ana-bakery");
        Assert.True(books.NamespaceExists, "the foreign namespace is not deleted with the store");
        Assert.Equal(anotherStores ? "old-stores-password" : null, books.AdminPassword);
        Assert.Equal((0, 0, 0), (books.NamespacesCreated, books.CredentialsCreated, books.Installs));
        Assert.Equal(0, books.RefusedWrites);
        Assert.Equal(1, sim.MaxConcurrentCallsPerStore);
    }

    [Fact]
    public async Task OnceAnOperatorRemovesTheLeftoverNamespaceRetryProvisionsTheStoreWithItsOwnPasswords()
    {
        await using var app = new TestApp(settings: Engine.Fast(timeout: "00:01:00"));
        var sim = app.Service<SimulatedCluster>();
        sim.PlantForeignNamespace("ana-bakery", OldStore, "old-stores-password");
        var ana = await app.ClientFor("ana@example.com");
        var store = await Create(ana, "Ana Bakery");
        await app.WaitForPhase(store.Id, StorePhase.Error);

        sim.DeleteOutOfBand("ana-bakery");
        (await ana.PostAsync($"/stores/{store.Id}/retry", null)).EnsureSuccessStatusCode();
        await app.WaitForPhase(store.Id, StorePhase.Ready);
        var credentials = await (await ana.GetAsync($"/stores/{store.Id}/credentials")).Read<CredentialsResponse>(HttpStatusCode.OK);

        Assert.NotEqual("old-stores-password", credentials.Password);
        Assert.Equal(sim.Books("ana-bakery").AdminPassword, credentials.Password);
        Assert.Equal(0, sim.Books("ana-bakery").RefusedWrites);
    }

    [Theory]
    [InlineData("release")]
    [InlineData("secret")]
    public async Task AReadyStoreThatFindsAForeignReleaseOrSecretInItsNamespaceStopsInsteadOfRepairingOverIt(string what)
    {
        await using var app = new TestApp(settings: Engine.Fast());
        var sim = app.Service<SimulatedCluster>();
        var ana = await app.ClientFor("ana@example.com");
        var store = await Create(ana, "Ana Bakery");
        await app.WaitForPhase(store.Id, StorePhase.Ready);
        var installs = sim.Books("ana-bakery").Installs;

        if (what == "release") sim.PlantForeignRelease("ana-bakery", null);
        else sim.PlantForeignCredentials("ana-bakery", OldStore, "someone-elses");
        await app.WaitForPhase(store.Id, StorePhase.Error);

        var ready = await ReadyCondition(app, store.Id);
        Assert.Equal("NamespaceConflict", ready.Reason);
        Assert.StartsWith(what == "release" ? "Helm release ana-bakery in namespace store-ana-bakery" : "Secret store-credentials in namespace store-ana-bakery", ready.Message);
        Assert.Equal(installs, sim.Books("ana-bakery").Installs);
        Assert.Equal(0, sim.Books("ana-bakery").RefusedWrites);
        var credentials = await (await ana.GetAsync($"/stores/{store.Id}/credentials")).Read<CredentialsResponse>(HttpStatusCode.OK);
        Assert.NotEqual("someone-elses", credentials.Password);
    }

    [SkippableTheory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task ADeletedStoresSlugIsReservedForTheGracePeriodSoANewStoreGetsAnotherAddress(Db database)
    {
        TestServices.Require(database);
        await using var app = new TestApp(database, Engine.Fast(database));
        var ana = await app.ClientFor("ana@example.com");
        var first = await Create(ana, "Ana Bakery");
        await app.WaitForPhase(first.Id, StorePhase.Ready);
        (await ana.DeleteAsync($"/stores/{first.Id}")).EnsureSuccessStatusCode();
        await app.WaitUntilGone(first.Id);

        var again = await Create(ana, "Ana Bakery");

        Assert.Equal("ana-bakery", first.Slug);
        Assert.Matches("^ana-bakery-[a-z0-9]{5}$", again.Slug);
        await using var db = app.NewDb();
        var reservation = await db.SlugReservations.SingleAsync(r => r.Slug == "ana-bakery");
        Assert.Equal(first.Id, reservation.StoreId);
        Assert.InRange(reservation.ReservedUntil, DateTime.UtcNow.AddHours(23), DateTime.UtcNow.AddHours(25));
    }

    [Fact]
    public async Task AnExpiredReservationFreesTheSlug()
    {
        await using var app = new TestApp(settings: Engine.Fast());
        await using (var db = app.NewDb())
        {
            db.SlugReservations.Add(new SlugReservation { Slug = "ana-bakery", StoreId = OldStore, ReservedUntil = DateTime.UtcNow.AddMinutes(-1) });
            db.SlugReservations.Add(new SlugReservation { Slug = "bo-books", StoreId = OldStore, ReservedUntil = DateTime.UtcNow.AddHours(1) });
            await db.SaveChangesAsync();
        }
        var ana = await app.ClientFor("ana@example.com");

        Assert.Equal("ana-bakery", (await Create(ana, "Ana Bakery")).Slug);
        Assert.NotEqual("bo-books", (await Create(ana, "Bo Books")).Slug);
    }

    [Fact]
    public async Task TheGracePeriodIsConfigurable()
    {
        await using var app = new TestApp(settings: Engine.Fast(more: new Dictionary<string, string?> { ["Stores:SlugGracePeriod"] = "00:00:00" }));
        var ana = await app.ClientFor("ana@example.com");
        var first = await Create(ana, "Ana Bakery");
        await app.WaitForPhase(first.Id, StorePhase.Ready);
        (await ana.DeleteAsync($"/stores/{first.Id}")).EnsureSuccessStatusCode();
        await app.WaitUntilGone(first.Id);

        Assert.Equal("ana-bakery", (await Create(ana, "Ana Bakery")).Slug);
    }
}
