using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Storefleet.Auth;
using Storefleet.RateLimiting;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

public class AuthTests
{
    [Fact]
    public async Task RegisteringThenSigningInGivesATokenThatOpensTheAccount()
    {
        await using var app = new TestApp();
        var client = app.CreateClient();

        var created = await (await client.PostJson("/auth/register", new { email = "Ana@Example.com ", password = "correct-horse-1" }))
            .Read<AccountResponse>(HttpStatusCode.Created);
        Assert.Equal("ana@example.com", created.Email);
        Assert.Equal("tenant", created.Role);

        var token = await (await client.PostJson("/auth/login", new { email = "ana@example.com", password = "correct-horse-1" }))
            .Read<TokenResponse>(HttpStatusCode.OK);
        Assert.True(token.ExpiresAt > DateTime.UtcNow.AddMinutes(50));

        var me = await app.ClientWithToken(token.AccessToken).GetFromJsonAsync<MeResponse>("/me", Json.Options);
        Assert.Equal(created.Id, me!.Id);
        Assert.Equal(new Storefleet.Stores.QuotaResponse(0, 3), me.Quota);
    }

    [Fact]
    public async Task RegisteringAnEmailTwiceIsAConflict()
    {
        await using var app = new TestApp();
        var client = app.CreateClient();
        (await client.PostJson("/auth/register", new { email = "ana@example.com", password = "correct-horse-1" })).EnsureSuccessStatusCode();

        var again = await client.PostJson("/auth/register", new { email = "ANA@example.com", password = "another-pass-2" });

        var problem = await again.AssertProblem(409);
        Assert.Contains("already exists", problem.Detail);
    }

    [Theory]
    [InlineData("short1", "at least 10 characters")]
    [InlineData("onlyletterslong", "must contain a digit")]
    [InlineData("1234567890123", "must contain a letter")]
    [InlineData("", "Password is required")]
    public async Task AWeakPasswordIsRefusedNamingWhatIsMissing(string password, string expected)
    {
        await using var app = new TestApp();

        var response = await app.CreateClient().PostJson("/auth/register", new { email = "ana@example.com", password });

        var problem = await response.AssertProblem(400);
        Assert.Contains(problem.Errors!["password"], m => m.Contains(expected, StringComparison.Ordinal));
        Assert.Equal(0, (await app.CountRows()).Users);
    }

    [Fact]
    public async Task UnknownEmailAndWrongPasswordGiveTheSameAnswer()
    {
        await using var app = new TestApp();
        var client = app.CreateClient();
        (await client.PostJson("/auth/register", new { email = "ana@example.com", password = "correct-horse-1" })).EnsureSuccessStatusCode();

        var wrongPassword = await client.PostJson("/auth/login", new { email = "ana@example.com", password = "wrong-horse-1" });
        var unknownEmail = await client.PostJson("/auth/login", new { email = "nobody@example.com", password = "wrong-horse-1" });

        var a = await wrongPassword.AssertProblem(401);
        var b = await unknownEmail.AssertProblem(401);
        Assert.Equal((a.Title, a.Detail, a.Type), (b.Title, b.Detail, b.Type));
        Assert.Equal(wrongPassword.Headers.WwwAuthenticate.ToString(), unknownEmail.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task RepeatedFailuresForOneAccountFromOneAddressGetGrowingDelays()
    {
        // The limits' clock is a fake one: the delay passes when the test says so, not after a sleep.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new TestApp(settings: new Dictionary<string, string?>
        {
            ["RateLimits:LoginFailures:FreeAttempts"] = "2",
            ["RateLimits:LoginFailures:FirstDelay"] = "00:00:01",
        }, services: s => s.AddSingleton<IRateLimitStore>(new InMemoryRateLimitStore(clock)));
        var attacker = app.ClientFrom("203.0.113.66");
        var wrong = new { email = "ana@example.com", password = "wrong-horse-1" };

        await (await attacker.PostJson("/auth/login", wrong)).AssertProblem(401);
        await (await attacker.PostJson("/auth/login", wrong)).AssertProblem(401); // the second failure starts a 1 s delay
        var first = await attacker.PostJson("/auth/login", wrong);
        clock.Advance(TimeSpan.FromSeconds(1));
        await (await attacker.PostJson("/auth/login", wrong)).AssertProblem(401); // allowed again, and the delay doubles
        var second = await attacker.PostJson("/auth/login", wrong);

        var problem = await first.AssertProblem(429);
        Assert.Contains("Try again in", problem.Detail);
        Assert.Equal(TimeSpan.FromSeconds(1), first.Headers.RetryAfter?.Delta);
        await second.AssertProblem(429);
        Assert.Equal(TimeSpan.FromSeconds(2), second.Headers.RetryAfter?.Delta);
        // another account from the same address is not slowed down
        await (await attacker.PostJson("/auth/login", new { email = "bob@example.com", password = "wrong-horse-1" })).AssertProblem(401);
    }

    [Fact]
    public async Task AnAttackerFailingFromOneAddressCannotLockTheOwnerOut()
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?>
        {
            ["RateLimits:LoginFailures:FreeAttempts"] = "3",
            ["RateLimits:LoginFailures:FirstDelay"] = "00:10:00",
        });
        (await app.CreateClient().PostJson("/auth/register", new { email = "admin@example.com", password = "correct-horse-1" })).EnsureSuccessStatusCode();
        var attacker = app.ClientFrom("203.0.113.66");
        for (var i = 0; i < 3; i++)
            await (await attacker.PostJson("/auth/login", new { email = "admin@example.com", password = $"guess-{i}-horse" })).AssertProblem(401);
        await (await attacker.PostJson("/auth/login", new { email = "admin@example.com", password = "correct-horse-1" })).AssertProblem(429);

        var owner = await app.ClientFrom("198.51.100.7").PostJson("/auth/login", new { email = "admin@example.com", password = "correct-horse-1" });

        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
    }

    [Fact]
    public async Task ASuccessfulSignInForgetsEarlierFailures()
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?>
        {
            ["RateLimits:LoginFailures:FreeAttempts"] = "2",
            ["RateLimits:LoginFailures:FirstDelay"] = "00:10:00",
        });
        var client = app.ClientFrom("198.51.100.7");
        (await client.PostJson("/auth/register", new { email = "ana@example.com", password = "correct-horse-1" })).EnsureSuccessStatusCode();
        await (await client.PostJson("/auth/login", new { email = "ana@example.com", password = "typo-horse-1" })).AssertProblem(401);
        (await client.PostJson("/auth/login", new { email = "ana@example.com", password = "correct-horse-1" })).EnsureSuccessStatusCode();

        // counting starts again: one more typo is free
        await (await client.PostJson("/auth/login", new { email = "ana@example.com", password = "typo-horse-1" })).AssertProblem(401);
        (await client.PostJson("/auth/login", new { email = "ana@example.com", password = "correct-horse-1" })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task LoginIsRateLimitedPerSourceIp()
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?>
        {
            ["RateLimits:AuthPerIp:Capacity"] = "4",
            ["RateLimits:AuthPerIp:PerMinute"] = "1",
        });
        var client = app.CreateClient();
        for (var i = 0; i < 4; i++)
            await (await client.PostJson("/auth/login", new { email = $"user{i}@example.com", password = "wrong-horse-1" })).AssertProblem(401);

        var limited = await client.PostJson("/auth/login", new { email = "fresh@example.com", password = "wrong-horse-1" });

        var problem = await limited.AssertProblem(429);
        Assert.Contains("Try again in", problem.Detail);
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Fact]
    public async Task SignInIsAudited()
    {
        await using var app = new TestApp();
        var client = app.CreateClient();
        (await client.PostJson("/auth/register", new { email = "ana@example.com", password = "correct-horse-1" })).EnsureSuccessStatusCode();
        (await client.PostJson("/auth/login", new { email = "ana@example.com", password = "correct-horse-1" })).EnsureSuccessStatusCode();
        await client.PostJson("/auth/login", new { email = "ana@example.com", password = "wrong-horse-1" });

        await using var db = app.NewDb();
        var logins = db.AuditLog.Where(a => a.Action == "auth.login").OrderBy(a => a.Id).Select(a => new { a.Outcome, a.ActorEmail }).ToList();
        Assert.Equal([new { Outcome = "success", ActorEmail = (string?)"ana@example.com" }, new { Outcome = "denied", ActorEmail = (string?)"ana@example.com" }], logins);
    }
}
