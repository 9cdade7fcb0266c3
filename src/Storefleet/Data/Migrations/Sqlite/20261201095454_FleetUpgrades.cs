using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Storefleet.Data.Migrations.Sqlite
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
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RunningChartVersion",
                table: "Stores",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            // A store Ready before this migration runs the version it wanted (the engine only ever installed that one).
            migrationBuilder.Sql("UPDATE \"Stores\" SET \"RunningChartVersion\" = \"ChartVersion\" WHERE \"ReadyAt\" IS NOT NULL;");

            migrationBuilder.CreateTable(
                name: "Rollouts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    FromVersion = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    ToVersion = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    MaxFailures = table.Column<int>(type: "INTEGER", nullable: false),
                    PauseBetweenWaves = table.Column<TimeSpan>(type: "TEXT", nullable: false),
                    WaveTimeout = table.Column<TimeSpan>(type: "TEXT", nullable: false),
                    CurrentWave = table.Column<int>(type: "INTEGER", nullable: false),
                    NextWaveAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Revision = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Rollouts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RolloutStores",
                columns: table => new
                {
                    RolloutId = table.Column<Guid>(type: "TEXT", nullable: false),
                    StoreId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Wave = table.Column<int>(type: "INTEGER", nullable: false),
                    FromVersion = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    UpgradedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
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
                    RolloutId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Index = table.Column<int>(type: "INTEGER", nullable: false),
                    Percent = table.Column<int>(type: "INTEGER", nullable: false),
                    Stores = table.Column<int>(type: "INTEGER", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    DeadlineAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    FinishedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
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
