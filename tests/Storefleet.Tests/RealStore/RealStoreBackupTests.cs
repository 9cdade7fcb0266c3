using System.Diagnostics;
using System.Net;
using System.Text;
using Storefleet.Backups;
using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Xunit.Abstractions;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// Backups of a real store: the chart's backup and restore Job commands, unmodified, against a real WordPress
/// + WooCommerce + MariaDB, with the object going to an S3-compatible server on loopback (s3rver) through the
/// presigned URLs the engine hands out.
/// </summary>
[Collection(RealStoreCollection.Name)]
public class RealStoreBackupTests(RealStoreFixture fixture, ITestOutputHelper output)
{
    const string CloneRelease = "ana-copy";
    static readonly TimeSpan UrlLifetime = TimeSpan.FromHours(1);

    static LocalS3 StartS3()
    {
        RealStoreKit.Require();
        if (!LocalS3.Installed)
        {
            if (Environment.GetEnvironmentVariable("STOREFLEET_TEST_REQUIRE_SERVICES") == "1")
                throw new InvalidOperationException("s3rver is missing: run scripts/tools.sh s3 (make test does).");
            Skip.If(true, "s3rver is not installed (scripts/tools.sh s3)");
        }
        return LocalS3.Start();
    }

    [SkippableFact]
    public async Task ABackupComesBackInPlaceAfterTheStoreIsWipedAndClonesToAnotherAddressLeavingTheOriginalUntouched()
    {
        using var s3 = StartS3();
        using var http = new HttpClient();
        var storage = new S3BackupStorage(s3.Options, http, TimeProvider.System);
        using var source = new LocalStore(RealStoreKit.Render(), RealStoreFixture.Secrets());
        source.StartWordPress();
        var setup = source.RunSetup();
        Assert.True(setup.ExitCode == 0, setup.ToString());
        var orderId = await PlaceOrder(source);
        var products = Skus(source);
        Assert.Equal("SF-CAP-01,SF-MUG-01,SF-TEE-01", products);

        // --- back up, with the chart's own Job command and the engine's presigned URL ---
        var (backupId, key, result, backupRun) = Backup(source, storage);
        output.WriteLine(backupRun.ToString());
        var stored = await http.GetByteArrayAsync(storage.PresignDownload(key, UrlLifetime));
        Assert.Equal(result.SizeBytes, stored.Length);
        Assert.Equal(result.Sha256, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stored)).ToLowerInvariant());
        // Never the platform's secrets: not the database or admin passwords, not wp-config.php.
        var listing = Tar(["-tf", "-"], stored);
        Assert.Equal("manifest.json\ndatabase.sql.gz\nwp-content.tar.gz", listing.Trim());
        AssertHoldsNoSecret(stored, source);

        // --- the merchant's disaster: database and wp-content gone (but for the platform's mu-plugin, a ConfigMap in the pod) ---
        source.Db.Sql($"DROP DATABASE `{source.Database}`; CREATE DATABASE `{source.Database}`;", database: null);
        var content = Path.Combine(source.Tree, "wp-content");
        foreach (var entry in Directory.EnumerateFileSystemEntries(content, "*", SearchOption.AllDirectories).OrderByDescending(e => e.Length))
        {
            if (entry.EndsWith("/mu-plugins/storefleet.php", StringComparison.Ordinal) || entry.EndsWith("/mu-plugins", StringComparison.Ordinal)) continue;
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true); else if (File.Exists(entry)) File.Delete(entry);
        }
        Assert.Equal("", source.Db.Sql("SHOW TABLES", source.Database).StdOut.Trim());

        // --- restore in place ---
        var restoreRun = source.RunJob("restore", new RestoreJob("g2", backupId, storage.PresignDownload(key, UrlLifetime), result.Sha256!).Environment);
        output.WriteLine(restoreRun.ToString());
        Assert.True(restoreRun.ExitCode == 0, restoreRun.ToString());
        Assert.Contains($"restore done: backup {backupId} is in https://ana-bakery.127.0.0.1.nip.io", restoreRun.Output);
        Assert.DoesNotContain("rewriting the site URL", restoreRun.Output);
        // Then the engine re-applies the release: the setup Job verifies the restored store like a new one.
        var verify = source.RunSetup();
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("0 products created", verify.Output);
        Assert.Equal(products, Skus(source));
        Assert.Equal("processing", source.Eval($"echo wc_get_order({orderId})->get_status();"));
        Assert.Equal("Bea", source.Eval($"echo wc_get_order({orderId})->get_billing_first_name();"));
        await AssertAdminSignsIn(source);
        fixture.Note($"timing: backup of the kit's store (database + wp-content with WooCommerce, {result.SizeBytes / 1048576.0:F1} MB) {backupRun.Elapsed.TotalSeconds:F1} s; " +
                     $"restore in place {restoreRun.Elapsed.TotalSeconds:F1} s, then the setup's verification {verify.Elapsed.TotalSeconds:F1} s");

        // --- clone into a second store at another address (provisioned first, as the engine does) ---
        using var clone = new LocalStore(RealStoreKit.Render(releaseName: CloneRelease), RealStoreFixture.Secrets());
        clone.StartWordPress();
        var cloneSetup = clone.RunSetup();
        Assert.True(cloneSetup.ExitCode == 0, cloneSetup.ToString());
        var cloneRun = clone.RunJob("restore", new RestoreJob("g1", backupId, storage.PresignDownload(key, UrlLifetime), result.Sha256!).Environment);
        output.WriteLine(cloneRun.ToString());
        Assert.True(cloneRun.ExitCode == 0, cloneRun.ToString());
        Assert.Contains("rewriting the site URL https://ana-bakery.127.0.0.1.nip.io -> https://ana-copy.127.0.0.1.nip.io", cloneRun.Output);
        var cloneVerify = clone.RunSetup();
        Assert.True(cloneVerify.ExitCode == 0, cloneVerify.ToString());
        fixture.Note($"timing: clone (restore into a second store, URL rewritten) {cloneRun.Elapsed.TotalSeconds:F1} s");

        Assert.Equal("https://ana-copy.127.0.0.1.nip.io", clone.Wp("option", "get", "home"));
        Assert.Equal("https://ana-copy.127.0.0.1.nip.io", clone.Wp("option", "get", "siteurl"));
        Assert.Equal(products, Skus(clone));
        Assert.Equal("processing", clone.Eval($"echo wc_get_order({orderId})->get_status();"));
        // The storefront lists the products, linked under the new address only.
        var storefront = await new StoreApiShopper(clone.ServiceUrl).Call(HttpMethod.Get, "/products?per_page=20");
        var permalinks = storefront.EnumerateArray().Select(p => p.GetProperty("permalink").GetString()!).ToList();
        Assert.Equal(3, permalinks.Count);
        Assert.All(permalinks, p => Assert.StartsWith("https://ana-copy.127.0.0.1.nip.io/", p));
        // The shop page as the ingress forwards a shopper's request: the store's host, https.
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var request = new HttpRequestMessage(HttpMethod.Get, clone.ServiceUrl + "/?post_type=product");
        request.Headers.Host = "ana-copy.127.0.0.1.nip.io";
        request.Headers.Add("X-Forwarded-Proto", "https");
        var shop = await noRedirects.SendAsync(request);
        var html = await shop.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, shop.StatusCode);
        foreach (var name in new[] { "Storefleet Mug", "Storefleet T-Shirt", "Storefleet Cap" }) Assert.Contains(name, html);
        Assert.DoesNotContain("ana-bakery.127.0.0.1.nip.io", html);
        // The clone's admin login is the clone's own (its Secret), not the source store's.
        await AssertAdminSignsIn(clone);
        var sourceLogin = Login(source);
        Assert.False(await SignsIn(clone, sourceLogin.AdminUser, sourceLogin.AdminPassword), "the source store's password opens the clone");

        // The original is untouched.
        Assert.Equal("https://ana-bakery.127.0.0.1.nip.io", source.Wp("option", "get", "home"));
        Assert.Equal(products, Skus(source));
        await AssertAdminSignsIn(source);
    }

    [SkippableFact]
    public void ACorruptedOrTruncatedBackupIsRefusedWithAClearMessageAndTheStoreIsLeftAsItWas()
    {
        using var s3 = StartS3();
        using var http = new HttpClient();
        var storage = new S3BackupStorage(s3.Options, http, TimeProvider.System);
        var (store, _, first, _) = fixture.Get();
        Assert.True(first.ExitCode == 0, first.ToString());
        var (backupId, key, result, _) = Backup(store, storage);
        var good = http.GetByteArrayAsync(storage.PresignDownload(key, UrlLifetime)).GetAwaiter().GetResult();
        var before = store.Db.Dump(store.Database, VolatileRows.Matches);
        var files = Listing(store);

        // Truncated in transit or in the bucket: the recorded checksum does not match.
        var truncated = good[..(good.Length / 2)];
        var refused = Restore(store, storage, http, truncated, backupId, result.Sha256!);
        Assert.Contains($"restore FAILED: backup {backupId} — it is corrupted or truncated: its sha256 is {Sha(truncated)} ({truncated.Length} bytes) " +
                        $"but the backup was recorded as {result.Sha256}; the store was not changed", refused.LastLine);

        // Corrupted inside while its record was corrupted too (same checksum): the manifest catches the member.
        var corrupted = (byte[])good.Clone();
        corrupted[corrupted.Length / 2] ^= 0xFF;   // inside wp-content.tar.gz, by far the largest member
        refused = Restore(store, storage, http, corrupted, backupId, Sha(corrupted));
        Assert.Contains("wp-content.tar.gz does not match its checksum in the manifest; the store was not changed", refused.LastLine);

        // Cut off, and recorded as cut off: not a complete backup.
        refused = Restore(store, storage, http, truncated, backupId, Sha(truncated));
        Assert.Contains("the store was not changed", refused.LastLine);
        Assert.Contains($"restore FAILED: backup {backupId} — ", refused.LastLine);

        Assert.Equal(before, store.Db.Dump(store.Database, VolatileRows.Matches));
        Assert.Equal(files, Listing(store));
    }

    RunResult Restore(LocalStore store, S3BackupStorage storage, HttpClient http, byte[] content, Guid backupId, string sha)
    {
        var key = StoreBackup.KeyFor(storage.Prefix, Guid.NewGuid(), backupId);
        var put = http.PutAsync(storage.PresignUpload(key, UrlLifetime), new ByteArrayContent(content)).GetAwaiter().GetResult();
        Assert.True(put.IsSuccessStatusCode);
        var run = store.RunJob("restore", new RestoreJob("bad", backupId, storage.PresignDownload(key, UrlLifetime), sha).Environment);
        output.WriteLine(run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.DoesNotContain("replacing", run.Output);
        return run;
    }

    static (Guid Id, string Key, JobStatus Result, RunResult Run) Backup(LocalStore store, S3BackupStorage storage)
    {
        var id = Guid.CreateVersion7();
        var key = StoreBackup.KeyFor(storage.Prefix, Guid.NewGuid(), id);
        var run = store.RunJob("backup", new BackupJob(id, storage.PresignUpload(key, UrlLifetime)).Environment);
        Assert.True(run.ExitCode == 0, run.ToString());
        var result = JobStatus.CompletedBackup(run.StdOut) ?? throw new InvalidOperationException($"no result line:\n{run}");
        Assert.Contains("dumping database wordpress", run.Output);
        return (id, key, result, run);
    }

    static void AssertHoldsNoSecret(byte[] backup, LocalStore store)
    {
        var dir = Directory.CreateTempSubdirectory("storefleet-backup-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "backup.tar"), backup);
            Tar(["-xf", Path.Combine(dir, "backup.tar"), "-C", dir], null);
            var database = Gunzip(Path.Combine(dir, "database.sql.gz"));
            var content = Tar(["-tzf", Path.Combine(dir, "wp-content.tar.gz")], null);
            Assert.True(database.Contains("INSERT INTO `wp_woocommerce_order_items`", StringComparison.Ordinal) && database.Contains("Storefleet Mug", StringComparison.Ordinal),
                $"the dump has no orders table or products ({database.Length} characters):\n{database[..Math.Min(database.Length, 1500)]}");
            Assert.Contains("wp-content/plugins/woocommerce/woocommerce.php", content);
            Assert.DoesNotContain("wp-content/mu-plugins/storefleet.php", content);
            Assert.DoesNotContain("wp-config.php", content);
            var everything = database + File.ReadAllText(Path.Combine(dir, "manifest.json"));
            // admin-user is the login's name (wp_users has it, as it must); every other key is a secret.
            foreach (var (name, value) in store.Secrets["store-credentials"].Where(kv => kv.Key != "admin-user"))
                Assert.False(everything.Contains(value, StringComparison.Ordinal), $"the backup holds the Secret's {name}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static string Tar(IReadOnlyList<string> args, byte[]? stdin)
    {
        var start = new ProcessStartInfo("tar") { RedirectStandardOutput = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var tar = Process.Start(start)!;
        if (stdin is not null)
        {
            tar.StandardInput.BaseStream.Write(stdin);
            tar.StandardInput.Close();
        }
        var text = tar.StandardOutput.ReadToEnd();
        tar.WaitForExit();
        Assert.Equal(0, tar.ExitCode);
        return text;
    }

    static string Gunzip(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    static string Sha(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();

    static string Listing(LocalStore store) => string.Join('\n', Directory
        .EnumerateFileSystemEntries(Path.Combine(store.Tree, "wp-content"), "*", SearchOption.AllDirectories)
        .Select(p => $"{p} {(File.Exists(p) ? new FileInfo(p).Length : -1)}").Order(StringComparer.Ordinal));

    static string Skus(LocalStore store) => store.Eval(
        "$s = array_map(fn($p) => wc_get_product($p)->get_sku(), wc_get_products(['limit' => -1, 'return' => 'ids'])); sort($s); echo implode(',', $s);");

    static async Task<int> PlaceOrder(LocalStore store)
    {
        var shopper = new StoreApiShopper(store.ServiceUrl);
        var mug = (await shopper.Call(HttpMethod.Get, "/products?sku=SF-MUG-01")).EnumerateArray().Single().GetProperty("id").GetInt32();
        await shopper.Call(HttpMethod.Get, "/cart");
        await shopper.Call(HttpMethod.Post, "/cart/add-item", new { id = mug, quantity = 1 });
        var address = new { first_name = "Bea", last_name = "Shopper", address_1 = "2 Elm Street", city = "San Francisco", postcode = "94105", country = "US", state = "CA", email = "bea@example.com", phone = "" };
        var order = await shopper.Call(HttpMethod.Post, "/checkout", new
        {
            billing_address = address,
            shipping_address = new { address.first_name, address.last_name, address.address_1, address.city, address.postcode, address.country, address.state },
            payment_method = "cod",
        });
        Assert.Equal("processing", order.GetProperty("status").GetString());
        return order.GetProperty("order_id").GetInt32();
    }

    static StoreCredentials Login(LocalStore store) => KubernetesStoreCluster.CredentialsFrom(
        store.Secrets["store-credentials"].ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)), "Secret store-credentials");

    static async Task AssertAdminSignsIn(LocalStore store)
    {
        var login = Login(store);
        Assert.True(await SignsIn(store, login.AdminUser, login.AdminPassword), $"{login.AdminUser} cannot sign in to {store.ServiceUrl}");
    }

    static async Task<bool> SignsIn(LocalStore store, string user, string password)
    {
        var browser = new Browser(store.ServiceUrl);
        var signIn = await browser.SignIn(user, password);
        if (signIn.StatusCode != HttpStatusCode.Found) return false;
        var dashboard = await browser.Get("/wp-admin/");
        return dashboard.StatusCode == HttpStatusCode.OK && (await dashboard.Content.ReadAsStringAsync()).Contains("wp-admin-bar-my-account", StringComparison.Ordinal);
    }
}
