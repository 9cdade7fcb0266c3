using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Storefleet.Auth;
using Storefleet.Data;

namespace Storefleet.Tests.Infrastructure;

public enum Db { Sqlite, Postgres }

/// <summary>
/// The real app, each instance with its own database: a SQLite file in a temp folder, or a fresh
/// PostgreSQL database on the test server that scripts/test.sh starts. Clients carry real JWTs minted
/// by the app's own issuer.
/// </summary>
public sealed class TestApp : WebApplicationFactory<Program>
{
    public const string SigningKey = "test-signing-key-that-is-at-least-32-bytes-long";
    public static readonly string EncryptionKey = Convert.ToBase64String([.. Enumerable.Range(0, 32).Select(i => (byte)i)]);
    private static readonly PasswordHasher<User> Hasher = new();
    private static readonly string CheapHash = Hasher.HashPassword(null!, "password-123");

    private readonly Dictionary<string, string?> _settings;
    private readonly string _dataDir = Directory.CreateTempSubdirectory("storefleet-test-").FullName;
    private readonly string? _postgresDatabase;
    private readonly Action<IServiceCollection>? _services;
    private readonly string _environment;

    public TestApp(Db db = Db.Sqlite, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string environment = "Testing")
    {
        Db = db;
        _environment = environment;
        _services = services;
        _settings = new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = SigningKey,
            ["Secrets:EncryptionKey"] = EncryptionKey,
            ["Storage:DataDirectory"] = _dataDir,
            // generous limits unless a test is about them
            ["RateLimits:Mutations:Capacity"] = "1000",
            ["RateLimits:Mutations:PerMinute"] = "1000",
            ["RateLimits:AuthPerIp:Capacity"] = "1000",
            ["RateLimits:AuthPerIp:PerMinute"] = "1000",
            ["RateLimits:Reads:Capacity"] = "100000",
            ["RateLimits:Reads:PerMinute"] = "100000",
            ["RateLimits:CredentialReveals:Capacity"] = "1000",
            ["RateLimits:CredentialReveals:PerMinute"] = "1000",
            ["RateLimits:SignupsPerIp:Capacity"] = "1000",
            ["RateLimits:SignupsPerIp:PerMinute"] = "1000",
            ["RateLimits:SignupsTotal:Capacity"] = "1000",
            ["RateLimits:SignupsTotal:PerMinute"] = "1000",
            ["RateLimits:LoginFailures:FreeAttempts"] = "1000",
            ["Cluster:Mode"] = "simulated",
        };
        if (db == Db.Postgres)
        {
            _postgresDatabase = "sf_" + Guid.NewGuid().ToString("N")[..16];
            _settings["ConnectionStrings:Storefleet"] = TestServices.PostgresDatabase(_postgresDatabase);
        }
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) _settings[k] = v;
    }

    public Db Db { get; }

    /// <summary>The PostgreSQL connection string this app uses (share it to run a second process on the same database).</summary>
    public string? ConnectionString => _settings.GetValueOrDefault("ConnectionStrings:Storefleet");

    /// <summary>A request header that sets the client's address, which the in-memory test server leaves empty.</summary>
    public const string SourceIpHeader = "X-Test-Source-Ip";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IStartupFilter, SourceIpFromHeader>();
            // Metrics of this app only: other tests running at the same time move the process-wide counters.
            services.AddSingleton(Prometheus.Metrics.NewCustomRegistry());
        });
        if (_services is not null) builder.ConfigureTestServices(_services);
    }

    private sealed class SourceIpFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                if (context.Request.Headers.TryGetValue(SourceIpHeader, out var ip) && System.Net.IPAddress.TryParse(ip, out var address))
                    context.Connection.RemoteIpAddress = address;
                return following(context);
            });
            next(app);
        };
    }

    /// <summary>A client whose requests come from <paramref name="ip"/>.</summary>
    public HttpClient ClientFrom(string ip, string? token = null)
    {
        var client = token is null ? CreateClient() : ClientWithToken(token);
        client.DefaultRequestHeaders.Add(SourceIpHeader, ip);
        return client;
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>A fresh database context; dispose it.</summary>
    public StorefleetDb NewDb() => Services.GetRequiredService<IDbContextFactory<StorefleetDb>>().CreateDbContext();

    /// <summary>Creates a user directly in the database (skipping the slow password hash of the API) and returns a client signed in as them.</summary>
    public async Task<HttpClient> ClientFor(string email, string role = Roles.Tenant, int? quota = null)
    {
        var user = await CreateUser(email, role, quota);
        return ClientWithToken(Service<TokenIssuer>().Issue(user, DateTime.UtcNow).Token);
    }

    public async Task<User> CreateUser(string email, string role = Roles.Tenant, int? quota = null)
    {
        await using var db = NewDb();
        var user = new User { Id = Guid.CreateVersion7(), Email = email, PasswordHash = CheapHash, Role = role, StoreQuota = quota, CreatedAt = DateTime.UtcNow };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }

    public HttpClient ClientWithToken(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Row counts of every table, to prove a refused request wrote nothing.</summary>
    public async Task<(int Users, int Stores, int Events, int Idempotency, int Audit)> CountRows()
    {
        await using var db = NewDb();
        return (await db.Users.CountAsync(), await db.Stores.CountAsync(), await db.StoreEvents.CountAsync(),
            await db.IdempotencyRecords.CountAsync(), await db.AuditLog.CountAsync());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_postgresDatabase is not null) await TestServices.DropPostgresDatabase(_postgresDatabase);
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The PostgreSQL and Redis that scripts/test.sh starts (STOREFLEET_TEST_POSTGRES / STOREFLEET_TEST_REDIS).</summary>
public static class TestServices
{
    public static string? Postgres => Environment.GetEnvironmentVariable("STOREFLEET_TEST_POSTGRES");
    public static string? Redis => Environment.GetEnvironmentVariable("STOREFLEET_TEST_REDIS");
    private static bool Required => Environment.GetEnvironmentVariable("STOREFLEET_TEST_REQUIRE_SERVICES") == "1";

    /// <summary>Skips when run outside make test without the services; under make test their absence is a failure.</summary>
    public static void Require(Db db)
    {
        if (db == Db.Postgres) Require(Postgres, "PostgreSQL (STOREFLEET_TEST_POSTGRES)");
    }

    public static void RequireRedis() => Require(Redis, "Redis (STOREFLEET_TEST_REDIS)");

    private static void Require(string? value, string what)
    {
        if (!string.IsNullOrEmpty(value)) return;
        if (Required) throw new InvalidOperationException($"{what} is not configured although scripts/test.sh should have started it.");
        Skip.If(true, $"{what} is not configured; run `make test`, which starts it.");
    }

    public static string PostgresDatabase(string database) =>
        new NpgsqlConnectionStringBuilder(Postgres) { Database = database, MaxPoolSize = 120 }.ToString();

    public static async Task DropPostgresDatabase(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Postgres) { Database = "postgres", Pooling = false }.ToString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

public static class HttpAssertions
{
    /// <summary>Asserts the response is an RFC 9457 problem with the status, and returns it.</summary>
    public static async Task<ProblemBody> AssertProblem(this HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonSerializer.Deserialize<ProblemBody>(body, Json.Options)!;
        Assert.Equal(status, problem.Status);
        Assert.False(string.IsNullOrWhiteSpace(problem.Title));
        return problem;
    }

    public static async Task<T> Read<T>(this HttpResponseMessage response, System.Net.HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<T>(body, Json.Options)!;
    }
}

public sealed record ProblemBody(string? Type, string Title, int Status, string? Detail, Dictionary<string, string[]>? Errors);

public static class Json
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string url, object body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }
}
