using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

public class PlatformBasicsTests
{
    [Fact]
    public async Task HealthReadinessMetricsAndOpenApiAnswer()
    {
        await using var app = new TestApp();
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal("Healthy", await client.GetStringAsync("/readyz"));
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("http_requests_received_total", metrics);
        var openapi = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = openapi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "/auth/register", "/auth/login", "/stores", "/stores/{id}", "/stores/{id}/events", "/me", "/admin/stores", "/admin/audit" }, paths);
    }

    [Fact]
    public async Task CorsAllowsOnlyTheDashboardOrigin()
    {
        await using var app = new TestApp();
        var client = app.CreateClient();

        async Task<string?> AllowedOrigin(string origin)
        {
            var preflight = new HttpRequestMessage(HttpMethod.Options, "/stores");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            var response = await client.SendAsync(preflight);
            return response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;
        }

        Assert.Equal("http://127.0.0.1:3000", await AllowedOrigin("http://127.0.0.1:3000"));
        Assert.Null(await AllowedOrigin("https://evil.example.com"));
    }

    [Fact]
    public void OutsideDevelopmentTheApiRefusesToStartWithoutASigningKey()
    {
        using var app = new TestApp(settings: new Dictionary<string, string?> { ["Auth:SigningKey"] = "" });

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("Auth:SigningKey is not set", Flatten(error));
    }

    [Fact]
    public void ASigningKeyShorterThan32BytesIsRefused()
    {
        using var app = new TestApp(settings: new Dictionary<string, string?> { ["Auth:SigningKey"] = "too-short" });

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("at least 32 bytes", Flatten(error));
    }

    [Fact]
    public async Task InDevelopmentAKeyIsGeneratedOnceAndKeptInTheDataDirectory()
    {
        var dataDir = Directory.CreateTempSubdirectory("storefleet-key-").FullName;
        var settings = new Dictionary<string, string?> { ["Auth:SigningKey"] = "", ["Storage:DataDirectory"] = dataDir };
        string token;
        await using (var first = new TestApp(settings: settings, environment: "Development"))
        {
            var user = await first.CreateUser("ana@example.com");
            token = first.Service<Storefleet.Auth.TokenIssuer>().Issue(user, DateTime.UtcNow).Token;
        }
        await using var second = new TestApp(settings: settings, environment: "Development");

        var me = await second.ClientWithToken(token).GetAsync("/me");

        Assert.Equal(HttpStatusCode.OK, me.StatusCode); // the restarted app accepts a token from before
        Assert.True(File.Exists(Path.Combine(dataDir, "jwt-signing.key")));
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);
}
