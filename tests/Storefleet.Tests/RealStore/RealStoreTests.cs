using System.Diagnostics;
using Xunit.Abstractions;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// The store a tenant gets, against a real WordPress 6.8.3 + WooCommerce 10.3.6 + MariaDB: the chart is
/// rendered by the real helm with the values the engine writes, and the setup Job's script runs unmodified.
/// </summary>
[Collection(RealStoreCollection.Name)]
public class RealStoreTests(RealStoreFixture fixture, ITestOutputHelper output)
{
    RealStoreFixture.Started Store()
    {
        RealStoreKit.Require();
        var started = fixture.Get();
        output.WriteLine($"cluster addresses adapted for loopback: {string.Join(", ", started.Store.Adaptations.Select(a => $"{a.Key}={a.Value}"))}");
        return started;
    }

    [SkippableFact]
    public void TheSetupJobsScriptInstallsTheStoreStepByStep()
    {
        var (store, _, setup, _) = Store();
        output.WriteLine(setup.ToString());

        Assert.True(setup.ExitCode == 0, setup.ToString());
        string[] steps =
        [
            $"MySQL at 127.0.0.1:{store.Db.Port} is reachable", $"WordPress at {store.ServiceUrl} is reachable",
            "installing WordPress for https://ana-bakery.127.0.0.1.nip.io", "admin login storeadmin exists",
            "WooCommerce 10.3.6 is in wp-content", "activating WooCommerce", "applying store settings", "Success:",
            "verifying as a shopper", "verified: 3 sample products", "verified: Cash on Delivery order #",
            "placed with Cash on Delivery and removed", "done: https://ana-bakery.127.0.0.1.nip.io is ready",
        ];
        var at = 0;
        foreach (var step in steps)
        {
            var next = setup.Output.IndexOf(step, at, StringComparison.Ordinal);
            Assert.True(next >= 0, $"the setup log has no `{step}` after the previous step:\n{setup.Output}");
            at = next;
        }
        Assert.Equal("Ana's Bäckerei & Café", store.Eval("echo html_entity_decode(get_option('blogname'), ENT_QUOTES);"));
        Assert.Equal("https://ana-bakery.127.0.0.1.nip.io", store.Wp("option", "get", "home"));
        Assert.Equal("USD", store.Wp("option", "get", "woocommerce_currency"));
        Assert.Equal("10.3.6", store.Wp("plugin", "get", "woocommerce", "--field=version"));
        Assert.Equal("yes", store.Eval("echo WC()->payment_gateways()->payment_gateways()['cod']->enabled;"));
        Assert.Equal("SF-CAP-01,SF-MUG-01,SF-TEE-01", store.Eval(
            "$s = array_map(fn($p) => wc_get_product($p)->get_sku(), wc_get_products(['limit' => -1, 'return' => 'ids'])); sort($s); echo implode(',', $s);"));
    }

    [SkippableFact]
    public void RunningTheSetupAgainChangesNothingInTheDatabase()
    {
        var (store, _, first, _) = Store();
        Assert.True(first.ExitCode == 0, first.ToString());

        var before = store.Db.Dump(store.Database, VolatileRows.Matches);
        var rerun = store.RunSetup();
        var after = store.Db.Dump(store.Database, VolatileRows.Matches);
        fixture.Note($"timing: setup rerun {rerun.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(rerun.ToString());

        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Contains("0 changes, 0 products created", rerun.Output);
        Assert.DoesNotContain("installing WordPress", rerun.Output);
        Assert.DoesNotContain("activating WooCommerce", rerun.Output);
        var diff = Diff(before, after);
        Assert.True(diff.Count == 0, $"the rerun changed the database (volatile rows excluded: {VolatileRows.Description}):\n{string.Join('\n', diff.Take(40))}");
        output.WriteLine($"database compared row by row, {before.Split('\n').Length} lines; excluded as volatile: {VolatileRows.Description}");
    }

    static List<string> Diff(string before, string after)
    {
        var a = before.Split('\n').ToHashSet();
        var b = after.Split('\n').ToHashSet();
        return [.. a.Except(b).Select(l => "- " + l[..Math.Min(l.Length, 400)]), .. b.Except(a).Select(l => "+ " + l[..Math.Min(l.Length, 400)])];
    }
}

[CollectionDefinition(Name)]
public class RealStoreCollection : ICollectionFixture<RealStoreFixture>
{
    public const string Name = "real store";
}

/// <summary>Rows that change by themselves on every request, not because of the setup.</summary>
public static class VolatileRows
{
    public const string Description = "transients and the WP-Cron schedule in wp_options, WooCommerce sessions";

    public static bool Matches(string line) =>
        line.StartsWith("INSERT INTO `wp_woocommerce_sessions`", StringComparison.Ordinal)
        || (line.StartsWith("INSERT INTO `wp_options`", StringComparison.Ordinal)
            && System.Text.RegularExpressions.Regex.IsMatch(line, @"^INSERT INTO `wp_options` VALUES \(\d+,'(_site_transient_|_transient_|cron')"));
}
