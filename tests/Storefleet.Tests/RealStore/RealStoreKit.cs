using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Storefleet.Tests.Charts;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// What the real-store suite needs: PHP 8.2 and MariaDB (scripts/tools.sh store), root (to run WordPress as
/// uid 33 and to bind the pod's paths in a private mount namespace), and ../shared/store-kit — the exact
/// WordPress, WooCommerce and WP-CLI builds the chart pins. Outside make test a missing piece skips the
/// suite; under make test (STOREFLEET_TEST_REQUIRE_SERVICES=1) it fails.
/// </summary>
public static class RealStoreKit
{
    public const string Release = "ana-bakery";
    public const string StoreName = "Ana's Bäckerei & Café";
    public const string OwnerEmail = "ana@example.com";
    public const string SmtpSecret = "store-smtp";

    static bool Required => Environment.GetEnvironmentVariable("STOREFLEET_TEST_REQUIRE_SERVICES") == "1";

    public static string KitDir => Path.GetFullPath(Path.Combine(ChartHarness.FindRepoRoot(), "..", "shared", "store-kit"));

    /// <summary>Skips (outside make test) or fails (under make test) when something the suite needs is missing.</summary>
    public static void Require()
    {
        var missing = Missing();
        if (missing.Count == 0) return;
        var message = $"The real-store suite needs {string.Join("; ", missing)}. Run `scripts/tools.sh store` as root (make test does).";
        if (Required) throw new InvalidOperationException(message);
        Skip.If(true, message);
    }

    static List<string> Missing()
    {
        var missing = new List<string>();
        if (!Environment.IsPrivilegedProcess) missing.Add("root (WordPress runs as uid 33 in a private mount namespace, like the pod)");
        foreach (var tool in new[] { "php", "mariadbd", "mariadb-install-db", "mariadb", "mariadb-dump", "setpriv", "unshare", "mount", "tar", "xz" })
        {
            if (!OnPath(tool)) missing.Add($"`{tool}` on PATH");
        }
        foreach (var file in new[] { "wordpress-6.8.3.tar.xz", "woocommerce-10.3.6.tar.xz", "wp-cli-2.10.0.phar", "wp-config-docker.php" })
        {
            if (!File.Exists(Path.Combine(KitDir, file))) missing.Add($"{file} in {KitDir}");
        }
        return missing;
    }

    static bool OnPath(string tool) =>
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    static readonly Lazy<string> pristine = new(Unpack);

    /// <summary>
    /// WordPress 6.8.3 with WooCommerce 10.3.6 in wp-content/plugins, unpacked once into the git-ignored
    /// .tools/ folder and reused by later runs (each store copies it): decompressing 150 MB of xz is the
    /// slowest part of the suite on a busy machine. Published by a rename, so a half-unpacked tree is never used.
    /// </summary>
    public static string PristineTree => pristine.Value;

    static string Unpack()
    {
        var tools = Path.Combine(ChartHarness.FindRepoRoot(), ".tools", "store-kit");
        var done = Path.Combine(tools, "wordpress-6.8.3-woocommerce-10.3.6");
        if (Directory.Exists(done)) return Path.Combine(done, "wordpress");
        var staged = Path.Combine(tools, $".staging-{Random()}");
        Directory.CreateDirectory(staged);
        Untar(Path.Combine(KitDir, "wordpress-6.8.3.tar.xz"), staged);
        // The pre-baked image (values-prod.yaml: setup.woocommerceSource=bundled) brings WooCommerce into wp-content.
        Untar(Path.Combine(KitDir, "woocommerce-10.3.6.tar.xz"), Path.Combine(staged, "wordpress", "wp-content", "plugins"));
        try { Directory.Move(staged, done); }
        catch (IOException) { Directory.Delete(staged, recursive: true); }   // another run published it first
        return Path.Combine(done, "wordpress");
    }

    static void Untar(string archive, string into)
    {
        var result = LocalProcess.Run("tar", ["-xJf", archive, "-C", into], new Dictionary<string, string>(), TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0) throw new InvalidOperationException($"tar {archive}: {result}");
    }

    /// <summary>
    /// The chart rendered as the engine installs it: the operator's values-prod.yaml, then the values file the
    /// engine itself writes (<see cref="KubernetesStoreCluster.StoreValuesJson"/>), then the operator's mail settings.
    /// </summary>
    public static RenderedStore Render(string? operatorValuesYaml = null, string releaseName = Release)
    {
        var workDir = Directory.CreateTempSubdirectory("storefleet-render-").FullName;
        try { return Render(workDir, operatorValuesYaml, releaseName); }
        finally { Directory.Delete(workDir, recursive: true); }
    }

    static RenderedStore Render(string workDir, string? operatorValuesYaml, string releaseName)
    {
        var release = new StoreRelease(new StoreRef(Guid.NewGuid(), releaseName), StoreName, "0.1.0", OwnerEmail);
        var engineValues = Path.Combine(workDir, "engine-values.json");
        File.WriteAllText(engineValues, KubernetesStoreCluster.StoreValuesJson(release, new KubernetesClusterOptions()));
        List<string> files = [Path.Combine(StoreChart.Dir, "values-prod.yaml"), engineValues];
        if (operatorValuesYaml is not null)
        {
            var extra = Path.Combine(workDir, "operator-values.yaml");
            File.WriteAllText(extra, operatorValuesYaml);
            files.Add(extra);
        }
        var chart = ChartHarness.Shared.Template(StoreChart.Dir, releaseName, $"store-{releaseName}", files);
        return new RenderedStore(chart, File.ReadAllText(engineValues));
    }

    /// <summary>Fresh credentials from the engine's own generator: what EnsureCredentials puts in Secret store-credentials.</summary>
    public static Dictionary<string, string> EngineSecret() => KubernetesStoreCluster.Credentials();

    public static string Random(int bytes = 8) => Convert.ToHexString(RandomNumberGenerator.GetBytes(bytes)).ToLowerInvariant();
}

/// <summary>The rendered chart, with the pieces the suite runs.</summary>
public sealed record RenderedStore(RenderedChart Chart, string EngineValuesJson)
{
    public V1Job SetupJob => Chart.OfType<V1Job>().Single();
    public V1Container SetupContainer => SetupJob.Spec.Template.Spec.Containers.Single(c => c.Name == "setup");
    public V1Deployment WordPress => Chart.OfType<V1Deployment>().Single();
    public V1Container WordPressContainer => WordPress.Spec.Template.Spec.Containers.Single(c => c.Name == "wordpress");
    public V1StatefulSet Database => Chart.OfType<V1StatefulSet>().Single();
    public V1CronJob? CronJob => Chart.OfType<V1CronJob>().SingleOrDefault(c => c.Metadata.Name.EndsWith("-cron", StringComparison.Ordinal));
    /// <summary>The template of the backup or restore Job the engine creates (kind: backup or restore).</summary>
    public V1CronJob JobTemplate(string kind) => Chart.OfType<V1CronJob>().Single(c => c.Metadata.Name.EndsWith($"-{kind}", StringComparison.Ordinal));
    public V1Container JobContainer(string kind) => JobTemplate(kind).Spec.JobTemplate.Spec.Template.Spec.Containers.Single(c => c.Name == kind);
    public V1ConfigMap ConfigMap(string name) => Chart.Single<V1ConfigMap>(name);
    public V1ConfigMap SetupConfigMap => Chart.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.EndsWith("-setup", StringComparison.Ordinal));

    public string DatabaseEnv(string name) =>
        Database.Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == name).Value
        ?? throw new InvalidOperationException($"{name} has no literal value in the StatefulSet");

    /// <summary>
    /// A container's environment as the kubelet would give it: literal values, and secretKeyRef resolved
    /// against <paramref name="secrets"/> (an optional key that is missing is left out; a required one fails,
    /// as CreateContainerConfigError would). Then only the cluster addresses are replaced.
    /// </summary>
    public static Dictionary<string, string> Environment(V1Container container, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> secrets,
        IReadOnlyDictionary<string, string> clusterAddresses)
    {
        var env = new Dictionary<string, string>();
        foreach (var e in container.Env ?? [])
        {
            if (e.ValueFrom?.SecretKeyRef is { } reference)
            {
                if (secrets.TryGetValue(reference.Name, out var secret) && secret.TryGetValue(reference.Key, out var value)) env[e.Name] = value;
                else if (reference.Optional != true) throw new InvalidOperationException($"{container.Name}: Secret {reference.Name} has no key {reference.Key} (the pod would not start)");
            }
            else if (e.ValueFrom is not null)
            {
                throw new InvalidOperationException($"{container.Name}: env {e.Name} comes from {e.ValueFrom}, which this suite does not resolve");
            }
            else
            {
                env[e.Name] = e.Value ?? "";
            }
        }
        foreach (var (name, value) in clusterAddresses)
        {
            if (env.ContainsKey(name)) env[name] = value;
        }
        return env;
    }
}
