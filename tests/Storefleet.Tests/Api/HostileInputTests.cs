using System.Net;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Storefleet.Auth;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

public enum Token { Valid, None, Tampered, Expired, AlgNone, WrongIssuer, WrongAudience, WrongKey, Garbage, UnknownUser, StaleStamp, NoStamp, StaleRole }

/// <summary>One hostile request: what it is, and the 4xx it must get.</summary>
public sealed record Hostile(string What, string Method, string Path, string? Body = null, int Status = 400,
    Token Token = Token.Valid, string ContentType = "application/json", string? IdempotencyKey = null)
{
    public override string ToString() => What;
}

public sealed class HostileApp : IAsyncLifetime
{
    public TestApp App { get; } = new(settings: new Dictionary<string, string?> { ["Roles"] = "api" });
    public User Ana { get; private set; } = null!;
    public Guid AnasStore { get; private set; }

    public async Task InitializeAsync()
    {
        Ana = await App.CreateUser("ana@example.com", quota: 10);
        var client = App.ClientWithToken(TokenFor(Token.Valid)!);
        var created = await client.PostJson("/stores", new { name = "Ana Bakery" });
        created.EnsureSuccessStatusCode();
        AnasStore = (await created.Read<Storefleet.Stores.StoreResponse>(HttpStatusCode.Accepted)).Id;
    }

    public Task DisposeAsync() => App.DisposeAsync().AsTask();

    public string? TokenFor(Token kind)
    {
        var now = DateTime.UtcNow;
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(TestApp.SigningKey));
        var valid = App.Service<TokenIssuer>().Issue(Ana, now).Token;
        return kind switch
        {
            Token.Valid => valid,
            Token.None => null,
            Token.Expired => App.Service<TokenIssuer>().Issue(Ana, now.AddHours(-3)).Token,
            Token.Tampered => Tamper(valid),
            Token.AlgNone => AlgNone(valid),
            Token.WrongIssuer => new TokenIssuer(new AuthOptions { Issuer = "evil" }, key).Issue(Ana, now).Token,
            Token.WrongAudience => new TokenIssuer(new AuthOptions { Audience = "other-api" }, key).Issue(Ana, now).Token,
            Token.WrongKey => new TokenIssuer(new AuthOptions(), new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-key-another-key-another-key-123"))).Issue(Ana, now).Token,
            Token.Garbage => "abc.def.ghi",
            Token.UnknownUser => App.Service<TokenIssuer>().Issue(new User { Id = Guid.NewGuid(), Email = "ghost@example.com", PasswordHash = "" }, now).Token,
            // well signed, but from a session that ended (the stamp changed since), from before stamps, or from before a demotion
            Token.StaleStamp => App.Service<TokenIssuer>().Issue(new User { Id = Ana.Id, Email = Ana.Email, PasswordHash = "", Role = Ana.Role, SecurityStamp = SessionStamps.NewStamp() }, now).Token,
            Token.NoStamp => App.Service<TokenIssuer>().Issue(new User { Id = Ana.Id, Email = Ana.Email, PasswordHash = "", Role = Ana.Role, SecurityStamp = "" }, now).Token,
            Token.StaleRole => App.Service<TokenIssuer>().Issue(new User { Id = Ana.Id, Email = Ana.Email, PasswordHash = "", Role = Roles.Admin, SecurityStamp = Ana.SecurityStamp }, now).Token,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    // Same signature, payload edited to claim the admin role.
    private static string Tamper(string jwt)
    {
        var parts = jwt.Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace("\"tenant\"", "\"admin\"");
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }

    private static string AlgNone(string jwt)
    {
        var parts = jwt.Split('.');
        return $"{Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{parts[1]}.";
    }
}

/// <summary>
/// A corpus of hostile requests. Each gets a 4xx problem document — never a 500 — and writes nothing.
/// </summary>
public class HostileInputTests(HostileApp fixture) : IClassFixture<HostileApp>
{
    private const string Store = "{{store}}";

    public static TheoryData<Hostile> Corpus => new(
        // bodies that are not the expected JSON object
        new Hostile("empty body", "POST", "/stores", ""),
        new Hostile("null body", "POST", "/stores", "null"),
        new Hostile("array body", "POST", "/stores", "[]"),
        new Hostile("string body", "POST", "/stores", "\"a shop\""),
        new Hostile("number body", "POST", "/stores", "42"),
        new Hostile("truncated JSON", "POST", "/stores", "{\"name\": \"Shop"),
        new Hostile("JSON with a trailing comma", "POST", "/stores", "{\"name\": \"Shop\",}"),
        new Hostile("JSON with comments", "POST", "/stores", "{/* hi */ \"name\": \"Shop\"}"),
        new Hostile("deeply nested JSON", "POST", "/stores", new string('[', 5000) + new string(']', 5000)),
        new Hostile("missing name", "POST", "/stores", "{}"),
        new Hostile("null name", "POST", "/stores", "{\"name\": null}"),
        // wrong types
        new Hostile("number as name", "POST", "/stores", "{\"name\": 123}"),
        new Hostile("boolean as name", "POST", "/stores", "{\"name\": true}"),
        new Hostile("array as name", "POST", "/stores", "{\"name\": [\"Shop\"]}"),
        new Hostile("object as name", "POST", "/stores", "{\"name\": {\"$ne\": null}}"),
        new Hostile("number as engine", "POST", "/stores", "{\"name\": \"Shop\", \"engine\": 1}"),
        // unknown and repeated fields
        new Hostile("unknown field ownerId", "POST", "/stores", "{\"name\": \"Shop\", \"ownerId\": \"00000000-0000-0000-0000-000000000001\"}"),
        new Hostile("unknown field status", "POST", "/stores", "{\"name\": \"Shop\", \"status\": \"Ready\"}"),
        new Hostile("duplicate name field", "POST", "/stores", "{\"name\": \"Shop One\", \"name\": \"Shop Two\"}"),
        new Hostile("unsupported engine", "POST", "/stores", "{\"name\": \"Shop\", \"engine\": \"medusa\"}"),
        // names
        new Hostile("empty name", "POST", "/stores", "{\"name\": \"\"}"),
        new Hostile("blank name", "POST", "/stores", "{\"name\": \"     \"}"),
        new Hostile("two-character name", "POST", "/stores", "{\"name\": \"ab\"}"),
        new Hostile("41-character name", "POST", "/stores", $"{{\"name\": \"{new string('a', 41)}\"}}"),
        new Hostile("10,000-character name", "POST", "/stores", $"{{\"name\": \"{new string('a', 10_000)}\"}}"),
        new Hostile("SQL injection name", "POST", "/stores", "{\"name\": \"x'; DROP TABLE \\\"Stores\\\"; --\"}"),
        new Hostile("SQL tautology name", "POST", "/stores", "{\"name\": \"' OR '1'='1\"}"),
        new Hostile("shell substitution name", "POST", "/stores", "{\"name\": \"shop $(rm -rf /)\"}"),
        new Hostile("shell backticks name", "POST", "/stores", "{\"name\": \"shop `id`\"}"),
        new Hostile("shell pipe name", "POST", "/stores", "{\"name\": \"shop | cat /etc/passwd\"}"),
        new Hostile("shell separator name", "POST", "/stores", "{\"name\": \"shop; helm uninstall x\"}"),
        new Hostile("helm --set injection name", "POST", "/stores", "{\"name\": \"a,image.tag=evil\"}"),
        new Hostile("path traversal name", "POST", "/stores", "{\"name\": \"../../etc/passwd\"}"),
        new Hostile("HTML name", "POST", "/stores", "{\"name\": \"<script>alert(1)</script>\"}"),
        new Hostile("NUL in name", "POST", "/stores", "{\"name\": \"shop\\u0000name\"}"),
        new Hostile("newline in name", "POST", "/stores", "{\"name\": \"shop\\nname\"}"),
        new Hostile("right-to-left override in name", "POST", "/stores", "{\"name\": \"\\u202Eevil shop\"}"),
        new Hostile("zero-width space in name", "POST", "/stores", "{\"name\": \"shop\\u200Bname\"}"),
        new Hostile("emoji name", "POST", "/stores", "{\"name\": \"😀😀😀 shop\"}"),
        new Hostile("unicode name beyond 40 characters", "POST", "/stores", $"{{\"name\": \"{string.Concat(Enumerable.Repeat("日本", 21))}\"}}"),
        new Hostile("lone surrogate in name", "POST", "/stores", "{\"name\": \"shop \\uD800 x\"}"),
        new Hostile("YAML document marker name", "POST", "/stores", "{\"name\": \"---\\nkind: Secret\"}"),
        // transport
        new Hostile("oversized body", "POST", "/stores", $"{{\"name\": \"Shop\", \"pad\": \"{new string('x', 20_000)}\"}}", Status: 413),
        new Hostile("text/plain body", "POST", "/stores", "name=Shop", Status: 415, ContentType: "text/plain"),
        new Hostile("XML body", "POST", "/stores", "<store><name>Shop</name></store>", Status: 415, ContentType: "application/xml"),
        new Hostile("form body", "POST", "/stores", "name=Shop", Status: 415, ContentType: "application/x-www-form-urlencoded"),
        new Hostile("over-long Idempotency-Key", "POST", "/stores", "{\"name\": \"Shop\"}", IdempotencyKey: new string('k', 201)),
        new Hostile("Idempotency-Key with spaces", "POST", "/stores", "{\"name\": \"Shop\"}", IdempotencyKey: "my key"),
        // tokens
        new Hostile("no token", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.None),
        new Hostile("tampered token", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.Tampered),
        new Hostile("expired token", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.Expired),
        new Hostile("alg none token", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.AlgNone),
        new Hostile("token from another issuer", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.WrongIssuer),
        new Hostile("token for another audience", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.WrongAudience),
        new Hostile("token signed with another key", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.WrongKey),
        new Hostile("garbage token", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.Garbage),
        new Hostile("token of an account that does not exist", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.UnknownUser),
        new Hostile("tampered token claiming admin", "GET", "/admin/audit", Status: 401, Token: Token.Tampered),
        new Hostile("alg none token on delete", "DELETE", $"/stores/{Store}", Status: 401, Token: Token.AlgNone),
        new Hostile("token of an ended session", "GET", "/stores", Status: 401, Token: Token.StaleStamp),
        new Hostile("token of an ended session on create", "POST", "/stores", "{\"name\": \"Shop\"}", Status: 401, Token: Token.StaleStamp),
        new Hostile("token without a session stamp", "GET", "/me", Status: 401, Token: Token.NoStamp),
        new Hostile("well-signed token claiming a role the account no longer has", "GET", "/admin/audit", Status: 401, Token: Token.StaleRole),
        new Hostile("ended session opening an event stream", "GET", "/stores/events", Status: 401, Token: Token.StaleStamp),
        new Hostile("ended session revealing credentials", "GET", $"/stores/{Store}/credentials", Status: 401, Token: Token.StaleStamp),
        new Hostile("ended session signing out everywhere", "POST", "/me/sessions/revoke", Status: 401, Token: Token.StaleStamp),
        new Hostile("ended session changing the password", "POST", "/me/password", "{\"currentPassword\": \"password-123\", \"newPassword\": \"battery-staple-2\"}", Status: 401, Token: Token.StaleStamp),
        // password change
        new Hostile("password change without a body", "POST", "/me/password", ""),
        new Hostile("password change with an array body", "POST", "/me/password", "[]"),
        new Hostile("password change without the current password", "POST", "/me/password", "{\"newPassword\": \"battery-staple-2\"}"),
        new Hostile("password change without a new password", "POST", "/me/password", "{\"currentPassword\": \"password-123\"}"),
        new Hostile("password change with numbers", "POST", "/me/password", "{\"currentPassword\": 1, \"newPassword\": 2}"),
        new Hostile("password change with a weak new password", "POST", "/me/password", "{\"currentPassword\": \"password-123\", \"newPassword\": \"short\"}"),
        new Hostile("password change with a 10,000-character new password", "POST", "/me/password", $"{{\"currentPassword\": \"password-123\", \"newPassword\": \"a1{new string('b', 9_998)}\"}}"),
        new Hostile("password change with a 1,000-character current password", "POST", "/me/password", $"{{\"currentPassword\": \"{new string('a', 1000)}\", \"newPassword\": \"battery-staple-2\"}}"),
        new Hostile("password change with an extra role field", "POST", "/me/password", "{\"currentPassword\": \"password-123\", \"newPassword\": \"battery-staple-2\", \"role\": \"admin\"}"),
        new Hostile("password change with the email as new password", "POST", "/me/password", "{\"currentPassword\": \"password-123\", \"newPassword\": \"ana@example.com\"}"),
        new Hostile("sessions revoke with the wrong method", "GET", "/me/sessions/revoke", Status: 405),
        // sign-up and sign-in
        new Hostile("register with a malformed email", "POST", "/auth/register", "{\"email\": \"not-an-email\", \"password\": \"correct-horse-1\"}", Token: Token.None),
        new Hostile("register with a header-injection email", "POST", "/auth/register", "{\"email\": \"a@example.com\\r\\nBcc: b@example.com\", \"password\": \"correct-horse-1\"}", Token: Token.None),
        new Hostile("register with numbers", "POST", "/auth/register", "{\"email\": 1, \"password\": 2}", Token: Token.None),
        new Hostile("register with a 300-character email", "POST", "/auth/register", $"{{\"email\": \"{new string('a', 290)}@example.com\", \"password\": \"correct-horse-1\"}}", Token: Token.None),
        new Hostile("register with a 10,000-character password", "POST", "/auth/register", $"{{\"email\": \"long@example.com\", \"password\": \"a1{new string('b', 9_998)}\"}}", Token: Token.None),
        new Hostile("register with an extra role field", "POST", "/auth/register", "{\"email\": \"eve@example.com\", \"password\": \"correct-horse-1\", \"role\": \"admin\"}", Token: Token.None),
        new Hostile("login with an SQL injection email", "POST", "/auth/login", "{\"email\": \"' OR 1=1 --\", \"password\": \"x\"}", Token: Token.None),
        new Hostile("login without password", "POST", "/auth/login", "{\"email\": \"ana@example.com\"}", Token: Token.None),
        // queries and routes
        new Hostile("negative limit", "GET", "/stores?limit=-1"),
        new Hostile("huge limit", "GET", "/stores?limit=100000"),
        new Hostile("non-numeric limit", "GET", "/stores?limit=abc"),
        new Hostile("integer overflow limit", "GET", "/stores?limit=99999999999999999999"),
        new Hostile("forged cursor", "GET", "/stores?cursor=!!!not-a-cursor"),
        new Hostile("base64 cursor with junk", "GET", "/stores?cursor=Zm9vOmJhcg"),
        new Hostile("numeric status", "GET", "/stores?status=1"),
        new Hostile("SQL in status", "GET", "/stores?status=Ready'%20OR%20'1'='1"),
        new Hostile("non-numeric event cursor", "GET", $"/stores/{Store}/events?after=abc"),
        new Hostile("store id that is not a GUID", "GET", "/stores/not-a-guid", Status: 404),
        new Hostile("SQL in the store id", "DELETE", "/stores/1%20OR%201=1", Status: 404),
        new Hostile("unknown store", "DELETE", "/stores/00000000-0000-0000-0000-000000000000", Status: 404),
        new Hostile("wrong method", "PUT", $"/stores/{Store}", "{\"name\": \"Shop\"}", Status: 405));

    [Theory, MemberData(nameof(Corpus))]
    public async Task EveryHostileRequestGetsA4xxProblemAndWritesNothing(Hostile input)
    {
        var app = fixture.App;
        var client = app.CreateClient();
        var path = input.Path.Replace(Store, fixture.AnasStore.ToString());
        var request = new HttpRequestMessage(new HttpMethod(input.Method), path);
        if (input.Body is not null) request.Content = new StringContent(input.Body, Encoding.UTF8, input.ContentType);
        if (fixture.TokenFor(input.Token) is { } token) request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        if (input.IdempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", input.IdempotencyKey);
        var before = await app.CountRows();

        var response = await client.SendAsync(request);

        var problem = await response.AssertProblem(input.Status);
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail ?? (problem.Errors is null ? null : string.Join(' ', problem.Errors.SelectMany(e => e.Value)))),
            "the problem must say what is wrong");
        Assert.Equal(before, await app.CountRows());
    }

    [Fact]
    public void TheCorpusHasAtLeastFiftyHostileRequests() => Assert.True(Corpus.Count >= 50, $"only {Corpus.Count}");
}
