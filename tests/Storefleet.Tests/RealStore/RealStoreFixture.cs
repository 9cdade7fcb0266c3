using System.Diagnostics;
using System.Text;
using Storefleet.Tests.Charts;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// The real store every test of <see cref="RealStoreTests"/> shares, started on first use (after
/// <see cref="RealStoreKit.Require"/>): the chart rendered with the engine's values, MariaDB, the SMTP
/// sink, WordPress, and the first run of the setup Job's script. Stops everything it started on dispose
/// and writes the suite's summary (adaptations, timings) to TestResults/real-store.txt for make test to print.
/// </summary>
public sealed class RealStoreFixture : IDisposable
{
    readonly Stopwatch suite = new();
    readonly Lazy<Started> started;
    readonly List<string> summary = [];
    readonly object gate = new();

    public RealStoreFixture() => started = new Lazy<Started>(Start);

    public sealed record Started(LocalStore Store, SmtpSink Smtp, RunResult FirstSetup, TimeSpan Preparation);

    public Started Get() => started.Value;

    Started Start()
    {
        suite.Start();
        var watch = Stopwatch.StartNew();
        var smtp = new SmtpSink();
        var rendered = RealStoreKit.Render(MailValues(smtp.Port));
        var secrets = Secrets();
        LocalStore? store = null;
        RunResult setup;
        TimeSpan preparation;
        try
        {
            store = new LocalStore(rendered, secrets);
            store.StartWordPress();
            preparation = watch.Elapsed;
            setup = store.RunSetup();
        }
        catch
        {
            // Nothing started may outlive a failed start.
            store?.Dispose();
            smtp.Dispose();
            throw;
        }
        Note($"adapted for loopback (cluster addresses only): {string.Join(", ", store.Adaptations.Select(a => $"{a.Key}={a.Value}"))}; " +
             $"operator mail values: mail.smtp.host=127.0.0.1, port={smtp.Port} (the SMTP sink)");
        Note($"timing: preparation (kit unpacked or reused from .tools/store-kit, MariaDB, WordPress) {preparation.TotalSeconds:F1} s; first setup {setup.Elapsed.TotalSeconds:F1} s");
        return new Started(store, smtp, setup, preparation);
    }

    /// <summary>The operator's SMTP settings: a relay at the sink, credentials from an existing Secret.</summary>
    public static string MailValues(int port) => $$"""
        mail:
          smtp:
            host: 127.0.0.1
            port: {{port}}
            encryption: none
            existingSecret: {{RealStoreKit.SmtpSecret}}
          from: shop@ana-bakery.example.com
          fromName: Ana's Bakery
        """;

    public static Dictionary<string, IReadOnlyDictionary<string, string>> Secrets() => new()
    {
        ["store-credentials"] = RealStoreKit.EngineSecret(),
        [RealStoreKit.SmtpSecret] = new Dictionary<string, string> { ["username"] = "relay-user", ["password"] = "relay-" + RealStoreKit.Random() },
    };

    public void Note(string line)
    {
        lock (gate) summary.Add(line);
    }

    public void Dispose()
    {
        if (started.IsValueCreated)
        {
            var s = started.Value;
            s.Store.Dispose();
            s.Smtp.Dispose();
            Note($"timing: whole real-store suite {suite.Elapsed.TotalSeconds:F1} s (everything started was stopped by PID)");
        }
        if (summary.Count == 0) return;
        var dir = Path.Combine(ChartHarness.FindRepoRoot(), "TestResults");
        Directory.CreateDirectory(dir);
        var text = new StringBuilder("real-store suite (WordPress 6.8.3, WooCommerce 10.3.6, PHP 8.2 php -S, MariaDB):\n");
        lock (gate) foreach (var line in summary) text.Append("  ").AppendLine(line);
        File.AppendAllText(Path.Combine(dir, "real-store.txt"), text.ToString());
    }
}
