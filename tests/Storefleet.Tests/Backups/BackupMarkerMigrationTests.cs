using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Storefleet.Backups;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Backups;

/// <summary>The BackupMarker migration marks the stores whose backups were queued before the marker existed.</summary>
public class BackupMarkerMigrationTests
{
    [SkippableTheory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task BackupsQueuedBeforeTheMarkerExistedAreMarkedSoTheEngineStillRunsThem(Db database)
    {
        TestServices.Require(database);
        // API only: nothing but this test writes to the database.
        await using var app = new TestApp(database, new Dictionary<string, string?> { ["Roles"] = "api" });
        var owner = await app.CreateUser("ana@example.com");
        var now = DateTime.UtcNow;
        Store StoreNamed(string slug) => new()
        {
            Id = Guid.CreateVersion7(), OwnerId = owner.Id, Name = slug, Slug = slug, Engine = "woocommerce", ChartVersion = "0.1.0",
            Phase = StorePhase.Ready, CreatedAt = now, UpdatedAt = now,
        };
        StoreBackup BackupOf(Store store, BackupState state) => new()
        {
            Id = Guid.CreateVersion7(), StoreId = store.Id, OwnerId = owner.Id, Kind = BackupKind.Manual, State = state, CreatedAt = now,
            ObjectKey = $"storefleet/stores/{store.Id}/{state}.tar",
        };
        var busy = StoreNamed("busy");
        var idle = StoreNamed("idle");
        var queued = BackupOf(busy, BackupState.Pending);
        await using (var db = app.NewDb())
        {
            db.Stores.AddRange(busy, idle);
            db.StoreBackups.AddRange(queued, BackupOf(busy, BackupState.Completed), BackupOf(idle, BackupState.Completed), BackupOf(idle, BackupState.Failed));
            await db.SaveChangesAsync();

            // Back to the schema before the marker (its column dropped), then forward again, as an upgraded platform runs it.
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync("Backups");
            await migrator.MigrateAsync();
        }

        await using var check = app.NewDb();
        var markers = await check.Stores.ToDictionaryAsync(s => s.Slug, s => s.PendingBackupId);
        Assert.Equal(queued.Id, markers["busy"]);
        Assert.Null(markers["idle"]);
    }
}
