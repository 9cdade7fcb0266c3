using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Storefleet.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SlugReservations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "SlugReservations",
                columns: table => new
                {
                    Slug = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    StoreId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ReservedUntil = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SlugReservations", x => x.Slug);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SlugReservations");
        }
    }
}
