using System.Net;
using Microsoft.EntityFrameworkCore;
using Storefleet.Auth;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>Seeding creates the configured administrator, never promotes an account someone registered.</summary>
public class AdminSeedTests
{
    private static Dictionary<string, string?> Admin(string email = "root@example.com", string? password = "root-password-1") =>
        new() { ["Admin:Email"] = email, ["Admin:Password"] = password, ["Roles"] = "api" };

    [Fact]
    public async Task TheConfiguredAdministratorIsCreatedOnceAndCanSignIn()
    {
        await using var app = new TestApp(settings: Admin());
        var signIn = await app.CreateClient().PostJson("/auth/login", new { email = "root@example.com", password = "root-password-1" });
        var token = (await signIn.Read<TokenResponse>(HttpStatusCode.OK)).AccessToken;

        Assert.Equal(HttpStatusCode.OK, (await app.ClientWithToken(token).GetAsync("/admin/audit")).StatusCode);
        await app.Services.SeedAdminAsync(); // a restart (or another replica) changes nothing
        await using var db = app.NewDb();
        Assert.Equal(1, await db.Users.CountAsync(u => u.Email == "root@example.com" && u.Role == Roles.Admin));
    }

    [Fact]
    public async Task AnAccountRegisteredWithTheAdminEmailIsNeverPromotedAndStartUpFails()
    {
        var dataDir = Directory.CreateTempSubdirectory("storefleet-seed-").FullName;
        try
        {
            // First run without an administrator configured: someone registers the address.
            await using (var before = new TestApp(settings: new Dictionary<string, string?> { ["Storage:DataDirectory"] = dataDir }))
                (await before.CreateClient().PostJson("/auth/register", new { email = "root@example.com", password = "attacker-chosen-1" })).EnsureSuccessStatusCode();

            // Then the operator configures that address as the administrator.
            var settings = Admin();
            settings["Storage:DataDirectory"] = dataDir;
            await using var after = new TestApp(settings: settings);
            var failure = Assert.ThrowsAny<Exception>(() => after.CreateClient());

            var seed = Unwrap<AdminSeedException>(failure);
            Assert.Contains("already exists", seed.Message);
            Assert.Contains("Admin:Email", seed.Message);
            await using var check = new TestApp(settings: new Dictionary<string, string?> { ["Storage:DataDirectory"] = dataDir });
            await using var db = check.NewDb();
            Assert.Equal(Roles.Tenant, await db.Users.Where(u => u.Email == "root@example.com").Select(u => u.Role).SingleAsync());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData(null, "Admin:Password is not set")]
    [InlineData("short1", "at least 10 characters")]
    [InlineData("no-digits-at-all", "digit")]
    public async Task StartUpFailsClearlyWhenTheAdministratorCannotBeCreated(string? password, string expected)
    {
        await using var app = new TestApp(settings: Admin(password: password));

        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains(expected, Unwrap<AdminSeedException>(failure).Message);
    }

    [Fact]
    public async Task StartUpFailsClearlyOnAMalformedAdminEmail()
    {
        await using var app = new TestApp(settings: Admin(email: "not an email"));

        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("Admin:Email", Unwrap<AdminSeedException>(failure).Message);
    }

    private static T Unwrap<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T found) return found;
            if (current is AggregateException aggregate && aggregate.InnerExceptions.Select(Unwrap<T>).FirstOrDefault() is { } inner) return inner;
        }
        Assert.Fail($"expected a {typeof(T).Name}, got: {e}");
        return null!;
    }
}
