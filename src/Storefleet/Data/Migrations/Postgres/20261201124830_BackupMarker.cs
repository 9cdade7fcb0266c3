using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Storefleet.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class BackupMarker : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "PendingBackupId",
                table: "Stores",
                type: "uuid",
                nullable: true);

            // Backups queued before the marker existed: mark their stores, or the engine would never look at them.
            migrationBuilder.Sql("""
                UPDATE "Stores" SET "PendingBackupId" = (SELECT b."Id" FROM "StoreBackups" AS b WHERE b."StoreId" = "Stores"."Id" AND b."State" IN ('Pending', 'Running') ORDER BY b."CreatedAt" LIMIT 1) WHERE EXISTS (SELECT 1 FROM "StoreBackups" AS b WHERE b."StoreId" = "Stores"."Id" AND b."State" IN ('Pending', 'Running'));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PendingBackupId",
                table: "Stores");
        }
    }
}
