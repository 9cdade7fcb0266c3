using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Storefleet.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AdminLoginCopy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AdminUser",
                table: "Stores",
                type: "TEXT",
                maxLength: 60,
                nullable: true);

            // Every store made before this migration got the WordPress login "storeadmin" from the chart
            // (its Secret said "admin", which WordPress refused); the worker then corrects the Secret.
            migrationBuilder.Sql("UPDATE \"Stores\" SET \"AdminUser\" = 'storeadmin' WHERE \"AdminPasswordProtected\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AdminUser",
                table: "Stores");
        }
    }
}
