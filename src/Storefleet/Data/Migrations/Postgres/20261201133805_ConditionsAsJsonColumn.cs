using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Storefleet.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConditionsAsJsonColumn : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The column keeps its document (the same JSON EF wrote as an owned collection); only its nullability
            // changes, so a row that never had conditions gets an empty list first.
            migrationBuilder.Sql("UPDATE \"Stores\" SET \"Conditions\" = '[]' WHERE \"Conditions\" IS NULL;");
            migrationBuilder.AlterColumn<string>(
                name: "Conditions",
                table: "Stores",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]",
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldNullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "Conditions",
                table: "Stores",
                type: "jsonb",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "jsonb");
        }
    }
}
