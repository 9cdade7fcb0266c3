using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Storefleet.Notifications;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>GET /stores/events, as the dashboard uses it: over HTTP, with real tokens.</summary>
public class StoreEventStreamTests
{
    private static Dictionary<string, string?> Settings(string heartbeat = "00:00:15") => Engine.Fast(more: new Dictionary<string, string?>
    {
        ["Stores:EventStreamHeartbeat"] = heartbeat,
        ["RateLimits:EventStreamsPerUser"] = "2000",
    });

    [Fact]
    public async Task AStreamWithoutATokenIsRefused()
    {
        await using var app = new TestApp();

        using var response = await app.CreateClient().GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AStreamCarriesTheOwnersStoresOnlyAndSaysWhenOneIsDeleted()
    {
        await using var app = new TestApp(settings: Settings());
        var ana = await app.ClientFor("ana@example.com");
        var bob = await app.ClientFor("bob@example.com");
        using var response = await ana.GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new EventReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal(": connected", (await events.Next()).Comment);

        var bobs = await (await bob.PostJson("/stores", new { name = "Bob Shop" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        var anas = await (await ana.PostJson("/stores", new { name = "Ana Shop" })).Read<StoreResponse>(HttpStatusCode.Accepted);
        await app.WaitForPhase(anas.Id, StorePhase.Ready);
        (await ana.DeleteAsync($"/stores/{anas.Id}")).EnsureSuccessStatusCode();
        await app.WaitUntilGone(anas.Id);

        var seen = new List<(string Event, Guid Id, string? Phase)>();
        while (seen.Count == 0 || seen[^1].Event != "deleted")
        {
            var e = await events.Next();
            if (e.Event is null) continue;
            using var data = JsonDocument.Parse(e.Data!);
            seen.Add((e.Event, data.RootElement.GetProperty("id").GetGuid(),
                data.RootElement.TryGetProperty("status", out var status) ? status.GetString() : null));
        }
        Assert.DoesNotContain(seen, s => s.Id == bobs.Id);
        Assert.All(seen, s => Assert.Equal(anas.Id, s.Id));
        Assert.Contains(seen, s => s.Event == "store" && s.Phase == "Ready");
        Assert.Equal("deleted", seen[^1].Event);
    }

    [Fact]
    public async Task AnIdleStreamIsKeptOpenWithPings()
    {
        await using var app = new TestApp(settings: Settings(heartbeat: "00:00:00.200"));
        var ana = await app.ClientFor("ana@example.com");
        using var response = await ana.GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead);
        var events = new EventReader(await response.Content.ReadAsStreamAsync());

        Assert.Equal(": connected", (await events.Next()).Comment);
        Assert.Equal(": ping", (await events.Next()).Comment);
        Assert.Equal(": ping", (await events.Next()).Comment);
    }

    [Fact]
    public async Task AThousandStreamsOpenedAndDroppedLeaveNoSubscriptionAndLogNoError()
    {
        var errors = new ConcurrentQueue<string>();
        await using var app = new TestApp(settings: Settings(), services: s => s.AddSingleton<ILoggerProvider>(new ErrorCollector(errors)));
        var ana = await app.ClientFor("ana@example.com");
        var feed = app.Service<StoreChangeFeed>();

        for (var batch = 0; batch < 20; batch++)
            await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
            {
                using var drop = new CancellationTokenSource();
                using var response = await ana.GetAsync("/stores/events", HttpCompletionOption.ResponseHeadersRead, drop.Token);
                var events = new EventReader(await response.Content.ReadAsStreamAsync(drop.Token));
                Assert.Equal(": connected", (await events.Next()).Comment);
                await drop.CancelAsync(); // the client goes away mid-stream
            }));

        var deadline = Stopwatch.StartNew();
        while (feed.SubscriptionCount > 0 && deadline.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(20);
        Assert.Equal(0, feed.SubscriptionCount);
        Assert.Empty(errors);
    }

    /// <summary>Reads server-sent events one at a time: a comment line (<c>: ping</c>) or an event with its data.</summary>
    private sealed class EventReader(Stream stream)
    {
        private readonly StreamReader _reader = new(stream);

        public async Task<(string? Comment, string? Event, string? Data)> Next()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            string? name = null, data = null;
            while (await _reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (name is not null || data is not null) return (null, name, data);
                    continue;
                }
                if (line.StartsWith(':')) return (line, null, null);
                if (line.StartsWith("event: ")) name = line["event: ".Length..];
                else if (line.StartsWith("data: ")) data = line["data: ".Length..];
            }
            throw new EndOfStreamException("the server closed the stream");
        }
    }

    private sealed class ErrorCollector(ConcurrentQueue<string> errors) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Collector(categoryName, errors);
        public void Dispose() { }

        private sealed class Collector(string category, ConcurrentQueue<string> errors) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Error) errors.Enqueue($"{category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
