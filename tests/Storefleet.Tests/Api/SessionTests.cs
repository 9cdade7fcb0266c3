using System.Net;
using Microsoft.EntityFrameworkCore;
using Storefleet.Auth;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>Sessions that can end: password change, sign out everywhere, role change, deleted account, open streams.</summary>
public class SessionTests
{
    private static async Task<string> SignIn(HttpClient client, string email, string password)
    {
        var response = await client.PostJson("/auth/login", new { email, password });
        return (await response.Read<TokenResponse>(HttpStatusCode.OK)).AccessToken;
    }

    private static async Task<(TestApp App, string Token)> AppWithAna(Db db = Db.Sqlite, IDictionary<string, string?>? settings = null)
    {
        TestServices.Require(db);
        var app = new TestApp(db, settings);
        var client = app.CreateClient();
        (await client.PostJson("/auth/register", new { email = "ana@example.com", password = "correct-horse-1" })).EnsureSuccessStatusCode();
        return (app, await SignIn(client, "ana@example.com", "correct-horse-1"));
    }

    [SkippableTheory, InlineData(Db.Sqlite), InlineData(Db.Postgres)]
    public async Task ChangingThePasswordEndsEverySessionAndTheNewPasswordSignsIn(Db db)
    {
        var (app, token) = await AppWithAna(db);
        await using var _ = app;
        var laptop = app.ClientWithToken(token);
        var phone = app.ClientWithToken(await SignIn(app.CreateClient(), "ana@example.com", "correct-horse-1"));
        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync("/me")).StatusCode); // cached as valid

        var changed = await laptop.PostJson("/me/password", new { currentPassword = "correct-horse-1", newPassword = "battery-staple-2" });

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        var ended = await (await laptop.GetAsync("/me")).AssertProblem(401);
        Assert.Equal("Session ended", ended.Title);
        await (await phone.GetAsync("/stores")).AssertProblem(401);
        await (await app.CreateClient().PostJson("/auth/login", new { email = "ana@example.com", password = "correct-horse-1" })).AssertProblem(401);
        var fresh = app.ClientWithToken(await SignIn(app.CreateClient(), "ana@example.com", "battery-staple-2"));
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/me")).StatusCode);
        await using var data = app.NewDb();
        Assert.Contains(await data.AuditLog.Select(a => new { a.Action, a.Outcome }).ToListAsync(), a => a.Action == "auth.password.change" && a.Outcome == "success");
    }

    [Fact]
    public async Task AWrongCurrentPasswordChangesNothing()
    {
        var (app, token) = await AppWithAna();
        await using var _ = app;
        var ana = app.ClientWithToken(token);

        var refused = await ana.PostJson("/me/password", new { currentPassword = "not-my-password-1", newPassword = "battery-staple-2" });

        var problem = await refused.AssertProblem(400);
        Assert.Contains("currentPassword", problem.Errors!.Keys);
        Assert.Equal(HttpStatusCode.OK, (await ana.GetAsync("/me")).StatusCode);
        await SignIn(app.CreateClient(), "ana@example.com", "correct-horse-1");
        await using var data = app.NewDb();
        Assert.Contains(await data.AuditLog.Select(a => new { a.Action, a.Outcome }).ToListAsync(), a => a.Action == "auth.password.change" && a.Outcome == "denied");
    }

    [Theory]
    [InlineData("short1", "at least 10 characters")]
    [InlineData("no-digits-here", "digit")]
    [InlineData("ana@example.com1", null)]
    public async Task ANewPasswordMustFollowTheSameRulesAsSignUp(string newPassword, string? expected)
    {
        var (app, token) = await AppWithAna();
        await using var _ = app;

        var refused = await app.ClientWithToken(token).PostJson("/me/password", new { currentPassword = "correct-horse-1", newPassword = expected is null ? "ana@example.com" : newPassword });

        var problem = await refused.AssertProblem(400);
        Assert.Contains("newPassword", problem.Errors!.Keys);
        if (expected is not null) Assert.Contains(problem.Errors["newPassword"], m => m.Contains(expected));
        await SignIn(app.CreateClient(), "ana@example.com", "correct-horse-1");
    }

    [Fact]
    public async Task SigningOutEverywhereEndsEveryTokenOfTheAccountOnly()
    {
        var (app, token) = await AppWithAna();
        await using var _ = app;
        var other = app.ClientWithToken(await SignIn(app.CreateClient(), "ana@example.com", "correct-horse-1"));
        var bob = await app.ClientFor("bob@example.com");

        var revoked = await app.ClientWithToken(token).PostAsync("/me/sessions/revoke", null);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        await (await app.ClientWithToken(token).GetAsync("/me")).AssertProblem(401);
        await (await other.GetAsync("/stores")).AssertProblem(401);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWithToken(await SignIn(app.CreateClient(), "ana@example.com", "correct-horse-1")).GetAsync("/me")).StatusCode);
    }

    [Fact]
    public async Task ADemotedAdministratorLosesAdminRightsAtOnce()
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?> { ["Auth:SessionCacheDuration"] = "00:00:00" });
        var admin = await app.ClientFor("root@example.com", Roles.Admin);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/audit")).StatusCode);

        await using (var db = app.NewDb())
            await db.Users.Where(u => u.Email == "root@example.com").ExecuteUpdateAsync(u => u.SetProperty(x => x.Role, Roles.Tenant));

        await (await admin.GetAsync("/admin/audit")).AssertProblem(401);
        await (await admin.GetAsync("/me")).AssertProblem(401);
    }

    [Fact]
    public async Task ADeletedAccountsTokenStopsWorking()
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?> { ["Auth:SessionCacheDuration"] = "00:00:00" });
        var ana = await app.ClientFor("ana@example.com");
        Assert.Equal(HttpStatusCode.OK, (await ana.GetAsync("/stores")).StatusCode);

        await using (var db = app.NewDb())
            await db.Users.Where(u => u.Email == "ana@example.com").ExecuteDeleteAsync();

        await (await ana.GetAsync("/stores")).AssertProblem(401);
    }

    [Fact]
    public async Task ATokenWithoutAStampIsRefused()
    {
        await using var app = new TestApp();
        var user = await app.CreateUser("ana@example.com");
        var stampless = app.Service<TokenIssuer>().Issue(new User { Id = user.Id, Email = user.Email, PasswordHash = "", SecurityStamp = "" }, DateTime.UtcNow).Token;

        await (await app.ClientWithToken(stampless).GetAsync("/me")).AssertProblem(401);
    }

    [Fact]
    public async Task AnOpenEventStreamClosesWhenTheSessionEnds()
    {
        var (app, token) = await AppWithAna();
        await using var _ = app;
        var streamClient = app.ClientWithToken(token);
        using var response = await streamClient.GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 3000", await stream.ReadLineAsync());

        (await app.ClientWithToken(token).PostAsync("/me/sessions/revoke", null)).EnsureSuccessStatusCode();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var rest = await stream.ReadToEndAsync(timeout.Token); // returns only once the server closes the stream
        Assert.Contains("event: session-ended", rest);
    }

    [SkippableFact]
    public async Task SigningOutEverywhereReachesEveryApiReplicaAtOnce()
    {
        TestServices.Require(Db.Postgres);
        TestServices.RequireRedis();
        // Two API replicas on one database and one Redis; both cache sessions for the full 30 s.
        await using var replicaA = new TestApp(Db.Postgres, new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = TestServices.Redis, ["Roles"] = "api" });
        await using var replicaB = new TestApp(Db.Postgres, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = TestServices.Redis, ["Roles"] = "api", ["ConnectionStrings:Storefleet"] = replicaA.ConnectionString,
        });
        var user = await replicaA.CreateUser("ana@example.com");
        var token = replicaA.Service<TokenIssuer>().Issue(user, DateTime.UtcNow).Token;
        Assert.Equal(HttpStatusCode.OK, (await replicaB.ClientWithToken(token).GetAsync("/me")).StatusCode); // B caches it as valid
        // No wait needed here: B's notifier subscribes to Redis before B starts serving (RedisNotifier.StartAsync).

        (await replicaA.ClientWithToken(token).PostAsync("/me/sessions/revoke", null)).EnsureSuccessStatusCode();

        var refused = false;
        for (var deadline = DateTime.UtcNow.AddSeconds(4); !refused && DateTime.UtcNow < deadline;)
        {
            refused = (await replicaB.ClientWithToken(token).GetAsync("/me")).StatusCode == HttpStatusCode.Unauthorized;
            if (!refused) await Task.Delay(50);
        }
        Assert.True(refused, "replica B still accepted the revoked token 4 s later (its cache holds it for 30 s without the notice)");
    }
}
