using System.Net;
using System.Net.Sockets;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>What the API exposes: /metrics only on its own port, HTTPS redirect and HSTS when configured, owner-only local files.</summary>
public class ExposureTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task WithAMetricsPortMetricsAreServedThereAndNotOnThePublicPort()
    {
        var port = FreePort();
        await using var app = new TestApp(settings: new Dictionary<string, string?> { ["Observability:MetricsPort"] = port.ToString() });
        var publicClient = app.CreateClient();

        var onPublicPort = await publicClient.GetAsync("/metrics");
        using var scraper = new HttpClient();
        string? scraped = null;
        for (var i = 0; i < 50 && scraped is null; i++) // the metric server starts with the host
        {
            try { scraped = await scraper.GetStringAsync($"http://127.0.0.1:{port}/metrics"); }
            catch (HttpRequestException) { await Task.Delay(100); }
        }

        await onPublicPort.AssertProblem(404);
        Assert.NotNull(scraped);
        Assert.Contains("storefleet_", scraped);
        Assert.Equal(HttpStatusCode.OK, (await publicClient.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task APublicRequestOverPlainHttpIsRedirectedToHttpsAndInClusterCallsAreNot()
    {
        await using var app = new TestApp(settings: new Dictionary<string, string?> { ["Api:HttpsRedirect"] = "true", ["Api:Hsts"] = "true" });
        var client = app.CreateDefaultClient(new NoRedirects());
        client.DefaultRequestHeaders.Add(TestApp.SourceIpHeader, "127.0.0.1"); // the ingress controller's hop (a trusted proxy)

        var overHttp = new HttpRequestMessage(HttpMethod.Get, "/platform?x=1");
        overHttp.Headers.Add("X-Forwarded-Proto", "http");
        var redirected = await client.SendAsync(overHttp);
        var overHttps = new HttpRequestMessage(HttpMethod.Get, "/platform");
        overHttps.Headers.Add("X-Forwarded-Proto", "https");
        var secure = await client.SendAsync(overHttps);
        var inCluster = await client.GetAsync("/platform");

        Assert.Equal(HttpStatusCode.PermanentRedirect, redirected.StatusCode);
        Assert.Equal("https://localhost/platform?x=1", redirected.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, secure.StatusCode);
        Assert.StartsWith("max-age=31536000", secure.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.Equal(HttpStatusCode.OK, inCluster.StatusCode);
        Assert.False(inCluster.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task WithoutConfigurationNothingIsRedirected()
    {
        await using var app = new TestApp();
        var client = app.CreateDefaultClient(new NoRedirects());
        client.DefaultRequestHeaders.Add(TestApp.SourceIpHeader, "127.0.0.1");
        var request = new HttpRequestMessage(HttpMethod.Get, "/platform");
        request.Headers.Add("X-Forwarded-Proto", "http");

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task LocalStateIsOwnerOnly()
    {
        if (OperatingSystem.IsWindows()) return; // Unix file modes
        var parent = Directory.CreateTempSubdirectory("storefleet-modes-").FullName;
        var dataDir = Path.Combine(parent, ".data");
        try
        {
            // Development: the signing and encryption keys are generated into the data directory.
            await using (var app = new TestApp(environment: "Development", settings: new Dictionary<string, string?>
            {
                ["Storage:DataDirectory"] = dataDir, ["Auth:SigningKey"] = "", ["Secrets:EncryptionKey"] = "", ["Roles"] = "api",
            }))
                Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/healthz")).StatusCode);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));
            foreach (var file in new[] { "storefleet.db", "jwt-signing.key", "credentials.key" })
                Assert.Equal((file, UnixFileMode.UserRead | UnixFileMode.UserWrite), (file, File.GetUnixFileMode(Path.Combine(dataDir, file))));
            Assert.Empty(Directory.GetFiles(dataDir, "*.tmp"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public async Task AnExistingDatabaseFileReadableByOthersIsTightened()
    {
        if (OperatingSystem.IsWindows()) return; // Unix file modes
        var dataDir = Directory.CreateTempSubdirectory("storefleet-modes-").FullName;
        try
        {
            var db = Path.Combine(dataDir, "storefleet.db");
            File.WriteAllBytes(db, []);
            File.SetUnixFileMode(db, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            await using (var app = new TestApp(settings: new Dictionary<string, string?> { ["Storage:DataDirectory"] = dataDir, ["Roles"] = "api" }))
                Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/healthz")).StatusCode);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(db));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private sealed class NoRedirects : DelegatingHandler;
}
