using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// When a setup step fails, the Job's last line says what failed and why, in words a person can act on
/// (the engine shows that line). Each case is a store of its own: its own MariaDB, tree and WordPress.
/// </summary>
[Collection(RealStoreCollection.Name)]
public class RealStoreFailureTests(RealStoreFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public void AWrongDatabasePasswordFailsAtOnceSayingMySqlRefusedTheLogin()
    {
        RealStoreKit.Require();
        var rendered = RealStoreKit.Render();
        var secrets = RealStoreFixture.Secrets();
        // MySQL was initialized with another password than the Secret's db-password now says.
        using var store = new LocalStore(rendered, secrets, databasePasswordOverride: "initializedWith" + RealStoreKit.Random());
        store.StartWordPress();

        var setup = store.RunSetup(TimeSpan.FromSeconds(60));
        output.WriteLine(setup.ToString());
        fixture.Note($"timing: failing setup (wrong database password) {setup.Elapsed.TotalSeconds:F1} s");

        Assert.NotEqual(0, setup.ExitCode);
        Assert.Matches(new Regex($@"^setup FAILED: MySQL at 127\.0\.0\.1:{store.Db.Port} — Access denied for user 'wordpress'@'[^']+' \(using password: YES\): check the db-password key of Secret store-credentials"), setup.LastLine);
        Assert.True(setup.Elapsed < TimeSpan.FromSeconds(30), "a refused login is final: the setup must not wait 10 minutes for it");
        Assert.DoesNotContain(secrets["store-credentials"]["db-password"], setup.Output);
    }

    [SkippableFact]
    public void AWooCommerceThatNeedsANewerWordPressFailsSayingWhichVersion()
    {
        RealStoreKit.Require();
        var rendered = RealStoreKit.Render();
        var secrets = RealStoreFixture.Secrets();
        using var store = new LocalStore(rendered, secrets, prepareTree: tree =>
        {
            // A copy of WooCommerce 10.3.6 whose header asks for a WordPress the image does not have.
            var main = Path.Combine(tree, "wp-content", "plugins", "woocommerce", "woocommerce.php");
            File.WriteAllText(main, Regex.Replace(File.ReadAllText(main), @"Requires at least: [0-9.]+", "Requires at least: 6.9"));
        });
        store.StartWordPress();

        var setup = store.RunSetup(TimeSpan.FromSeconds(90));
        output.WriteLine(setup.ToString());
        fixture.Note($"timing: failing setup (WooCommerce needs WordPress 6.9) {setup.Elapsed.TotalSeconds:F1} s");

        Assert.NotEqual(0, setup.ExitCode);
        Assert.StartsWith("setup FAILED: WooCommerce activation — ", setup.LastLine);
        Assert.Contains("6.9", setup.LastLine);
        Assert.DoesNotContain("No plugins activated", setup.LastLine);
    }
}
