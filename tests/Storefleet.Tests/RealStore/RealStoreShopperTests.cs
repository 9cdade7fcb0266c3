using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Storefleet.Cluster.Kubernetes;
using Xunit.Abstractions;

namespace Storefleet.Tests.RealStore;

/// <summary>What a tenant and their shoppers do right after Ready, against the real store of <see cref="RealStoreFixture"/>.</summary>
[Collection(RealStoreCollection.Name)]
public class RealStoreShopperTests(RealStoreFixture fixture, ITestOutputHelper output)
{
    RealStoreFixture.Started Store()
    {
        RealStoreKit.Require();
        var started = fixture.Get();
        Assert.True(started.FirstSetup.ExitCode == 0, started.FirstSetup.ToString());
        return started;
    }

    [SkippableFact]
    public async Task AShopperPlacesACashOnDeliveryOrderThatIsProcessingTakesStockAndMailsTheMerchant()
    {
        var (store, smtp, _, _) = Store();
        var shopper = new StoreApiShopper(store.ServiceUrl);
        var tee = (await shopper.Call(HttpMethod.Get, "/products?sku=SF-TEE-01")).EnumerateArray().Single();
        var productId = tee.GetProperty("id").GetInt32();
        var stockBefore = int.Parse(store.Eval($"echo wc_get_product({productId})->get_stock_quantity();"));

        var watch = Stopwatch.StartNew();
        await shopper.Call(HttpMethod.Get, "/cart");   // the page with the cart: session and first Nonce
        await shopper.Call(HttpMethod.Post, "/cart/add-item", new { id = productId, quantity = 2 });
        var address = new
        {
            first_name = "Bea", last_name = "Shopper", address_1 = "2 Elm Street", city = "San Francisco", postcode = "94105",
            country = "US", state = "CA", email = "bea@example.com", phone = "",
        };
        var order = await shopper.Call(HttpMethod.Post, "/checkout", new
        {
            billing_address = address,
            shipping_address = new { address.first_name, address.last_name, address.address_1, address.city, address.postcode, address.country, address.state },
            payment_method = "cod",
        });
        watch.Stop();
        fixture.Note($"timing: shopper order through the Store API (add-item + checkout) {watch.Elapsed.TotalSeconds:F1} s");

        var orderId = order.GetProperty("order_id").GetInt32();
        Assert.Equal("processing", order.GetProperty("status").GetString());
        Assert.Equal("processing", store.Eval($"echo wc_get_order({orderId})->get_status();"));
        Assert.Equal("cod", store.Eval($"echo wc_get_order({orderId})->get_payment_method();"));
        Assert.Equal(stockBefore - 2, int.Parse(store.Eval($"echo wc_get_product({productId})->get_stock_quantity();")));

        // The new-order email reaches the relay (mail.smtp.*), logged in with the operator's Secret.
        var mail = await WaitFor(() => smtp.Messages.FirstOrDefault(m => m.Subject.Contains($"new order: #{orderId}", StringComparison.OrdinalIgnoreCase)));
        Assert.True(mail is not null, $"no new-order mail for #{orderId} reached the SMTP sink; got: [{string.Join("; ", smtp.Messages.Select(m => m.Subject))}]\n{store.ServerLog}");
        Assert.Contains(RealStoreKit.OwnerEmail, string.Join(",", mail.To));
        Assert.Equal("relay-user", mail.AuthUser);
        Assert.Equal(store.Secrets[RealStoreKit.SmtpSecret]["password"], mail.AuthPassword);
        Assert.Contains("shop@ana-bakery.example.com", mail.From);
        Assert.Contains(smtp.Messages, m => m.To.Any(t => t.Contains("bea@example.com", StringComparison.Ordinal)));
        // The setup's own verification orders never mailed anyone.
        Assert.DoesNotContain(smtp.Messages, m => m.Data.Contains("storefleet.invalid", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task TheTenantSignsInToWpAdminWithExactlyTheLoginThePlatformHandsOut()
    {
        var (store, _, _, _) = Store();
        // What GET /stores/{id}/credentials returns: the engine reads it from the Secret with this function.
        var secret = store.Secrets["store-credentials"].ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value));
        var login = KubernetesStoreCluster.CredentialsFrom(secret, "Secret store-credentials");
        output.WriteLine($"signing in as {login.AdminUser}");

        var browser = new Browser(store.ServiceUrl);
        var wrong = await browser.SignIn(login.AdminUser, login.AdminPassword + "x");
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);   // the form again, with an error
        Assert.Contains("login_error", await wrong.Content.ReadAsStringAsync());

        var signIn = await browser.SignIn(login.AdminUser, login.AdminPassword);
        Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
        Assert.EndsWith("/wp-admin/", signIn.Headers.Location?.ToString());
        var dashboard = await browser.Get("/wp-admin/");
        var html = await dashboard.Content.ReadAsStringAsync();
        Assert.True(dashboard.StatusCode == HttpStatusCode.OK, $"GET /wp-admin/ answered {(int)dashboard.StatusCode} {dashboard.Headers.Location}");
        Assert.Contains("wp-admin-bar-my-account", html);
        Assert.Contains(login.AdminUser, html);
        Assert.Contains("WooCommerce", html);
    }

    [SkippableFact]
    public async Task TheReadinessProbeIsAnsweredWithoutARedirect()
    {
        var (store, _, _, _) = Store();
        var probe = store.Rendered.WordPressContainer.ReadinessProbe.HttpGet;
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var request = new HttpRequestMessage(HttpMethod.Get, store.ServiceUrl + probe.Path);
        foreach (var header in probe.HttpHeaders ?? []) request.Headers.Add(header.Name, header.Value);

        var response = await client.SendAsync(request);

        // The kubelet counts 2xx and 3xx as ready, but a redirect to another host is a ProbeWarning event every period.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [SkippableFact]
    public async Task TheMerchantMayUploadPhotosOfAtLeast32MegabytesAndTheIngressLetsThemThrough()
    {
        var (store, _, _, _) = Store();
        var login = KubernetesStoreCluster.CredentialsFrom(
            store.Secrets["store-credentials"].ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)), "Secret store-credentials");
        var browser = new Browser(store.ServiceUrl);
        Assert.Equal(HttpStatusCode.Found, (await browser.SignIn(login.AdminUser, login.AdminPassword)).StatusCode);

        // What WordPress tells the merchant on Media > Add New, from the PHP settings the chart mounts.
        var page = await (await browser.Get("/wp-admin/media-new.php")).Content.ReadAsStringAsync();
        var match = System.Text.RegularExpressions.Regex.Match(page, @"Maximum upload file size: (\d+) MB");
        Assert.True(match.Success, "media-new.php shows no upload limit");
        var megabytes = int.Parse(match.Groups[1].Value);
        Assert.True(megabytes >= 32, $"uploads are limited to {megabytes} MB");
        // ingress-nginx refuses larger bodies itself unless told: the annotation covers the upload.
        var ingress = store.Rendered.Chart.OfType<k8s.Models.V1Ingress>().Single();
        var body = int.Parse(ingress.Metadata.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"].TrimEnd('m'));
        Assert.True(body >= megabytes, $"the ingress takes {body} MB bodies, uploads may be {megabytes} MB");
    }

    [SkippableFact]
    public void TheCronJobsCommandRunsDueWpCronEventsAndTheActionSchedulerQueue()
    {
        var (store, _, _, _) = Store();
        var cronJob = store.Rendered.CronJob ?? throw new InvalidOperationException("the chart renders no CronJob");
        Assert.Equal("Forbid", cronJob.Spec.ConcurrencyPolicy);
        Assert.Equal("yes", store.Eval("echo defined('DISABLE_WP_CRON') && DISABLE_WP_CRON ? 'yes' : 'no';"));

        // A due WP-Cron event (core's callback deletes expired transients) and a queued Action Scheduler action.
        store.Eval("""
            update_option('_transient_timeout_storefleet_probe', time() - 60, false);
            update_option('_transient_storefleet_probe', 'expired', false);
            wp_schedule_single_event(time() - 60, 'delete_expired_transients', ['storefleet-suite']);
            as_enqueue_async_action('woocommerce_cleanup_draft_orders', [], 'storefleet-suite');
            // Five minutes after the last run, Action Scheduler's own every-minute event is due as well.
            wp_clear_scheduled_hook('action_scheduler_run_queue');
            """);
        // Page views do not run WP-Cron any more (DISABLE_WP_CRON): the event is still waiting.
        using (var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })) client.GetAsync(store.ServiceUrl + "/").GetAwaiter().GetResult();
        Assert.Equal("waiting", store.Eval("echo wp_next_scheduled('delete_expired_transients', ['storefleet-suite']) ? 'waiting' : 'gone';"));

        var container = cronJob.Spec.JobTemplate.Spec.Template.Spec.Containers.Single();
        var run = store.RunContainer(container, RenderedStore.Environment(container, store.Secrets, store.Adaptations), TimeSpan.FromSeconds(60));
        output.WriteLine(run.ToString());
        fixture.Note($"timing: CronJob command (wp-cron.php with the Action Scheduler queue) {run.Elapsed.TotalSeconds:F1} s");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("gone", store.Eval("echo wp_next_scheduled('delete_expired_transients', ['storefleet-suite']) ? 'waiting' : 'gone';"));
        Assert.Equal("deleted", store.Eval("echo get_option('_transient_storefleet_probe', 'deleted');"));
        Assert.Equal("complete", store.Eval("""
            $ids = as_get_scheduled_actions(['group' => 'storefleet-suite', 'status' => ['complete', 'failed', 'pending', 'in-progress']], 'ids');
            echo ActionScheduler::store()->get_status(reset($ids));
            """));
        Assert.Contains("via WP Cron", store.Eval("""
            $ids = as_get_scheduled_actions(['group' => 'storefleet-suite'], 'ids');
            echo implode(' | ', array_map(fn($l) => $l->get_message(), ActionScheduler::logger()->get_logs(reset($ids))));
            """));
    }

    static async Task<T?> WaitFor<T>(Func<T?> probe) where T : class
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (probe() is { } found) return found;
            await Task.Delay(100);
        }
        return probe();
    }
}

/// <summary>A shopper's browser on the Store API: cookies and the latest Nonce header, /wp-json/ URLs.</summary>
public sealed class StoreApiShopper(string serviceUrl)
{
    readonly HttpClient client = new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false });
    string nonce = "";

    public async Task<JsonElement> Call(HttpMethod method, string route, object? body = null)
    {
        var request = new HttpRequestMessage(method, $"{serviceUrl}/wp-json/wc/store/v1{route}");
        if (body is not null) request.Content = JsonContent.Create(body);
        if (nonce.Length > 0) request.Headers.Add("Nonce", nonce);
        var response = await client.SendAsync(request);
        if (response.Headers.TryGetValues("Nonce", out var values)) nonce = values.First();
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {route}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }
}

/// <summary>
/// A browser behind the store's TLS ingress: it sends X-Forwarded-Proto: https (as the ingress does) and
/// keeps WordPress' Secure cookies itself, since they come back over the plain-http loopback connection.
/// </summary>
public sealed class Browser(string serviceUrl)
{
    readonly HttpClient client = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false });
    readonly Dictionary<string, string> cookies = [];

    public Task<HttpResponseMessage> Get(string path) => Send(new HttpRequestMessage(HttpMethod.Get, serviceUrl + path));

    public async Task<HttpResponseMessage> SignIn(string user, string password)
    {
        await Get("/wp-login.php");   // sets wordpress_test_cookie, as a browser showing the form would
        return await Send(new HttpRequestMessage(HttpMethod.Post, serviceUrl + "/wp-login.php")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["log"] = user, ["pwd"] = password, ["wp-submit"] = "Log In", ["testcookie"] = "1",
                ["redirect_to"] = "https://ana-bakery.127.0.0.1.nip.io/wp-admin/",
            }),
        });
    }

    async Task<HttpResponseMessage> Send(HttpRequestMessage request)
    {
        request.Headers.Add("X-Forwarded-Proto", "https");
        if (cookies.Count > 0) request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}")));
        var response = await client.SendAsync(request);
        foreach (var header in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
        {
            var pair = header.Split(';')[0].Split('=', 2);
            if (pair.Length == 2) cookies[pair[0].Trim()] = pair[1];
        }
        return response;
    }
}
