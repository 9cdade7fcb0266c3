using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Data;

/// <summary>ConditionsAsJsonColumn keeps every store's conditions as they were, and gives a row without any an empty list.</summary>
public class ConditionsColumnMigrationTests
{
    [SkippableTheory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task ConditionsWrittenAsAnOwnedCollectionSurviveTheColumnChange(Db database)
    {
        TestServices.Require(database);
        await using var app = new TestApp(database, new Dictionary<string, string?> { ["Roles"] = "api" });
        var ana = await app.ClientFor("ana@example.com");
        var kept = await (await ana.PostJson("/stores", new { name = "Kept" })).Read<StoreResponse>(System.Net.HttpStatusCode.Accepted);
        var empty = await (await ana.PostJson("/stores", new { name = "Empty" })).Read<StoreResponse>(System.Net.HttpStatusCode.Accepted);
        const string former = """[{"Type": "Ready", "Reason": "StoreReady", "Status": "True", "Message": "Up.", "LastTransitionTime": "2026-11-30T08:15:00Z"}]""";

        await using (var db = app.NewDb())
        {
            // Back to the schema before the change (the column nullable, as the owned collection had it), with rows as
            // EF used to write them, then forward again, as an upgraded platform runs it.
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync("BackupMarker");
            var sql = db.Database.IsNpgsql()
                ? "UPDATE \"Stores\" SET \"Conditions\" = CAST({0} AS jsonb) WHERE \"Id\" = {1}"
                : "UPDATE \"Stores\" SET \"Conditions\" = {0} WHERE \"Id\" = {1}";
            await db.Database.ExecuteSqlRawAsync(sql, former, kept.Id);
            await db.Database.ExecuteSqlRawAsync("UPDATE \"Stores\" SET \"Conditions\" = NULL WHERE \"Id\" = {0}", empty.Id);
            await migrator.MigrateAsync();
        }

        var after = await ana.GetFromJsonAsync<StoreResponse>($"/stores/{kept.Id}", Json.Options);
        var condition = Assert.Single(after!.Conditions);
        Assert.Equal(("Ready", "True", "StoreReady", "Up."), (condition.Type, condition.Status, condition.Reason, condition.Message));
        Assert.Equal(new DateTime(2026, 11, 30, 8, 15, 0, DateTimeKind.Utc), condition.LastTransitionTime);
        Assert.Empty((await ana.GetFromJsonAsync<StoreResponse>($"/stores/{empty.Id}", Json.Options))!.Conditions);
    }
}
