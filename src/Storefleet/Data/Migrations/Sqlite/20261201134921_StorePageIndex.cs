using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Storefleet.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class StorePageIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Stores_OwnerId_CreatedAt",
                table: "Stores");

            migrationBuilder.CreateIndex(
                name: "IX_Stores_OwnerId_CreatedAt_Id",
                table: "Stores",
                columns: new[] { "OwnerId", "CreatedAt", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Stores_OwnerId_CreatedAt_Id",
                table: "Stores");

            migrationBuilder.CreateIndex(
                name: "IX_Stores_OwnerId_CreatedAt",
                table: "Stores",
                columns: new[] { "OwnerId", "CreatedAt" });
        }
    }
}
