using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Storefleet.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class FleetUpgrades : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "RolloutId",
                table: "Stores",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RunningChartVersion",
                table: "Stores",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            // A store Ready before this migration runs the version it wanted (the engine only ever installed that one).
            migrationBuilder.Sql("UPDATE \"Stores\" SET \"RunningChartVersion\" = \"ChartVersion\" WHERE \"ReadyAt\" IS NOT NULL;");

            migrationBuilder.CreateTable(
                name: "Rollouts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    FromVersion = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    ToVersion = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    MaxFailures = table.Column<int>(type: "integer", nullable: false),
                    PauseBetweenWaves = table.Column<TimeSpan>(type: "interval", nullable: false),
                    WaveTimeout = table.Column<TimeSpan>(type: "interval", nullable: false),
                    CurrentWave = table.Column<int>(type: "integer", nullable: false),
                    NextWaveAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Revision = table.Column<long>(type: "bigint", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Rollouts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RolloutStores",
                columns: table => new
                {
                    RolloutId = table.Column<Guid>(type: "uuid", nullable: false),
                    StoreId = table.Column<Guid>(type: "uuid", nullable: false),
                    Wave = table.Column<int>(type: "integer", nullable: false),
                    FromVersion = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    UpgradedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RolloutStores", x => new { x.RolloutId, x.StoreId });
                    table.ForeignKey(
                        name: "FK_RolloutStores_Rollouts_RolloutId",
                        column: x => x.RolloutId,
                        principalTable: "Rollouts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "RolloutWaves",
                columns: table => new
                {
                    RolloutId = table.Column<Guid>(type: "uuid", nullable: false),
                    Index = table.Column<int>(type: "integer", nullable: false),
                    Percent = table.Column<int>(type: "integer", nullable: false),
                    Stores = table.Column<int>(type: "integer", nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DeadlineAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RolloutWaves", x => new { x.RolloutId, x.Index });
                    table.ForeignKey(
                        name: "FK_RolloutWaves_Rollouts_RolloutId",
                        column: x => x.RolloutId,
                        principalTable: "Rollouts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Stores_RolloutId",
                table: "Stores",
                column: "RolloutId");

            migrationBuilder.CreateIndex(
                name: "IX_Rollouts_CreatedAt",
                table: "Rollouts",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Rollouts_State",
                table: "Rollouts",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_RolloutStores_RolloutId_Wave",
                table: "RolloutStores",
                columns: new[] { "RolloutId", "Wave" });

            migrationBuilder.CreateIndex(
                name: "IX_RolloutStores_StoreId",
                table: "RolloutStores",
                column: "StoreId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RolloutStores");

            migrationBuilder.DropTable(
                name: "RolloutWaves");

            migrationBuilder.DropTable(
                name: "Rollouts");

            migrationBuilder.DropIndex(
                name: "IX_Stores_RolloutId",
                table: "Stores");

            migrationBuilder.DropColumn(
                name: "RolloutId",
                table: "Stores");

            migrationBuilder.DropColumn(
                name: "RunningChartVersion",
                table: "Stores");
        }
    }
}
