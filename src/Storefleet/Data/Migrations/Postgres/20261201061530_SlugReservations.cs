using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Storefleet.Data.Migrations.Postgres
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
                    Slug = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    StoreId = table.Column<Guid>(type: "uuid", nullable: false),
                    ReservedUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
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
