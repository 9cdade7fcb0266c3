using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>What keeps a store working after setup: the admin login's one source, WP-Cron, mail, uploads, probes, Apache.</summary>
public class WooCommerceStoreOperationsTests
{
    static V1Container Setup(RenderedChart chart) => chart.PodOf("setup").Spec.Containers.Single(c => c.Name == "setup");
    static V1Container WordPress(RenderedChart chart) => chart.PodOf("wordpress").Spec.Containers.Single(c => c.Name == "wordpress");

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void TheSetupCreatesTheAdminLoginTheSecretNamesWithTheSecretsPassword(string valuesFile)
    {
        var env = Setup(StoreChart.Render(valuesFile)).Env;

        foreach (var (name, key) in new[] { ("STORE_ADMIN_USER", "admin-user"), ("ADMIN_PASSWORD", "admin-password") })
        {
            var reference = env.Single(e => e.Name == name).ValueFrom.SecretKeyRef;
            Assert.Equal((StoreChart.Secret, key), (reference.Name, reference.Key));
            Assert.True(reference.Optional != true, $"{key} is required: without it the tenant could not sign in");
        }
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void WpCronIsDisabledInThePodsAndACronJobRunsItWithoutOverlapping(string valuesFile)
    {
        var chart = StoreChart.Render(valuesFile);
        var cron = chart.Single<V1CronJob>($"{StoreChart.Release}-cron");

        Assert.Contains("define('DISABLE_WP_CRON', true);", WordPress(chart).Env.Single(e => e.Name == "WORDPRESS_CONFIG_EXTRA").Value);
        Assert.Equal("Forbid", cron.Spec.ConcurrencyPolicy);
        Assert.Equal("*/5 * * * *", cron.Spec.Schedule);
        var job = cron.Spec.JobTemplate.Spec;
        Assert.NotNull(job.ActiveDeadlineSeconds);
        var container = Assert.Single(job.Template.Spec.Containers);
        Assert.Equal(["/bin/sh", "/scripts/cron.sh"], container.Command);
        Assert.Equal($"http://{StoreChart.Release}-wordpress", container.Env.Single(e => e.Name == "WORDPRESS_SERVICE_URL").Value);
        Assert.Null(job.Template.Spec.Volumes.SingleOrDefault(v => v.PersistentVolumeClaim is not null));   // HTTP only: no volume, no affinity
        ChartPolicies.AssertNone(ChartPolicies.QuotaShortfalls(chart), "quota fit with the cron pod");
    }

    [Fact]
    public void WithoutARelayNoPodGetsSmtpEgressAndThePluginLogsEveryMailAsNotSent()
    {
        var chart = StoreChart.Render("values-prod.yaml");

        Assert.DoesNotContain(chart.OfType<V1NetworkPolicy>(), p => p.Metadata.Name.EndsWith("-smtp-egress", StringComparison.Ordinal));
        Assert.Equal("", WordPress(chart).Env.Single(e => e.Name == "STOREFLEET_SMTP_HOST").Value);
        var plugin = chart.Single<V1ConfigMap>($"{StoreChart.Release}-php").Data["storefleet-mu-plugin.php"];
        Assert.Contains("NOT SENT (no SMTP relay configured", plugin);
        var mount = WordPress(chart).VolumeMounts.Single(m => m.SubPath == "storefleet-mu-plugin.php");
        Assert.Equal("/var/www/html/wp-content/mu-plugins/storefleet.php", mount.MountPath);
    }

    [Fact]
    public void ARelayOpensEgressToItsPortOnlyAndItsLoginComesFromTheOperatorsSecret()
    {
        var chart = StoreChart.Render("values-prod.yaml", new Dictionary<string, string>
        {
            ["mail.smtp.host"] = "smtp.example.com", ["mail.smtp.port"] = "2525", ["mail.smtp.existingSecret"] = "smtp-relay",
        });

        var egress = chart.Single<V1NetworkPolicy>($"{StoreChart.Release}-smtp-egress");
        var rule = Assert.Single(egress.Spec.Egress);
        Assert.Equal("2525", Assert.Single(rule.Ports).Port.Value);
        Assert.Equal(["Egress"], egress.Spec.PolicyTypes);
        var password = WordPress(chart).Env.Single(e => e.Name == "STOREFLEET_SMTP_PASSWORD").ValueFrom.SecretKeyRef;
        Assert.Equal(("smtp-relay", "password"), (password.Name, password.Key));
        ChartPolicies.AssertNone(ChartPolicies.PlaintextSecrets(chart), "plaintext secrets");
    }

    [Theory]
    [InlineData("values-local.yaml", 6)]    // 512Mi: (512 - 96) / 64
    [InlineData("values-prod.yaml", 14)]    // 1Gi: (1024 - 96) / 64
    public void ApacheRunsAsManyWorkersAsTheMemoryLimitHolds(string valuesFile, int workers)
    {
        var conf = StoreChart.Render(valuesFile).Single<V1ConfigMap>($"{StoreChart.Release}-apache").Data["mpm_prefork.conf"];

        Assert.Contains($"MaxRequestWorkers {workers}\n", conf);
        Assert.Contains($"ServerLimit {workers}\n", conf);
    }

    [Fact]
    public void AnExplicitWorkerCountWinsAndTinyLimitsStillGetTwo()
    {
        Assert.Contains("MaxRequestWorkers 9\n", StoreChart.Render("values-prod.yaml", new Dictionary<string, string> { ["wordpress.apache.maxRequestWorkers"] = "9" })
            .Single<V1ConfigMap>($"{StoreChart.Release}-apache").Data["mpm_prefork.conf"]);
        Assert.Contains("MaxRequestWorkers 2\n", StoreChart.Render("values-prod.yaml", new Dictionary<string, string> { ["wordpress.resources.limits.memory"] = "128Mi" })
            .Single<V1ConfigMap>($"{StoreChart.Release}-apache").Data["mpm_prefork.conf"]);
    }

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void UploadsOf64MegabytesPassPhpAndTheIngress(string valuesFile)
    {
        var chart = StoreChart.Render(valuesFile);

        var ini = chart.Single<V1ConfigMap>($"{StoreChart.Release}-php").Data["storefleet.ini"];
        Assert.Contains("upload_max_filesize = 64M", ini);
        Assert.Contains("post_max_size = 72M", ini);
        Assert.Equal("72m", chart.OfType<V1Ingress>().Single().Metadata.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"]);
        Assert.Contains(WordPress(chart).VolumeMounts, m => m.MountPath == "/usr/local/etc/php/conf.d/zz-storefleet.ini");
    }

    [Fact]
    public void TheReadinessProbeTellsWordPressTheRequestCameOverHttpsWhenTheSiteIsHttps()
    {
        var prod = WordPress(StoreChart.Render("values-prod.yaml")).ReadinessProbe.HttpGet;
        var local = WordPress(StoreChart.Render("values-local.yaml")).ReadinessProbe.HttpGet;

        Assert.Equal(("X-Forwarded-Proto", "https"), (Assert.Single(prod.HttpHeaders).Name, prod.HttpHeaders[0].Value));
        Assert.Null(local.HttpHeaders);   // an http site answers plain requests without a redirect
    }
}
