using System.Collections.Concurrent;
using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>
/// charts/storefleet as an operator installs it: release "storefleet" in namespace "storefleet", with
/// the chart's defaults, values-local.yaml or values-prod.yaml. Renders are cached per (values file,
/// --set) combination, so each runs helm once per test run.
/// </summary>
public static class PlatformChart
{
    public const string Release = "storefleet";
    public const string Namespace = "storefleet";

    /// <summary>values.yaml is the chart's defaults alone.</summary>
    public static TheoryData<string> ValuesFiles => new() { "values.yaml", "values-local.yaml", "values-prod.yaml" };

    public static ChartHarness Harness => ChartHarness.Shared;
    public static string Dir => Harness.ChartDir("storefleet");
    public static string Repo => Harness.RepoRoot;

    public static string[] ValuesFor(string valuesFile) => valuesFile == "values.yaml" ? [] : [Path.Combine(Dir, valuesFile)];

    static readonly ConcurrentDictionary<string, Lazy<RenderedChart>> renders = new();

    public static RenderedChart Render(string valuesFile, IReadOnlyDictionary<string, string>? set = null)
    {
        var key = valuesFile + "|" + string.Join(",", (set ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}"));
        return renders.GetOrAdd(key, _ => new Lazy<RenderedChart>(() =>
            Harness.Template(Dir, Release, Namespace, ValuesFor(valuesFile), set))).Value;
    }

    public static ToolResult TryRender(string valuesFile, IReadOnlyDictionary<string, string>? set = null) =>
        Harness.TryTemplate(Dir, Release, Namespace, ValuesFor(valuesFile), set);

    /// <summary>The Secrets an operator creates for production (values-prod.yaml names them).</summary>
    public static readonly HashSet<string> OperatorSecrets = ["storefleet-secrets", "storefleet-postgres", "storefleet-redis"];

    /// <summary>The one Secret the chart may render with data: random keys for local clusters.</summary>
    public const string GeneratedSecret = "storefleet-generated";

    public static RenderedPod Pod(this RenderedChart chart, string component) => chart.PodOf(component);

    public static V1Deployment Deployment(this RenderedChart chart, string component) =>
        (V1Deployment)chart.PodOf(component).Owner.Object;

    public static IReadOnlyDictionary<string, string?> RequiredLabels => new Dictionary<string, string?>
    {
        ["app.kubernetes.io/name"] = "storefleet",
        ["app.kubernetes.io/instance"] = Release,
        ["app.kubernetes.io/managed-by"] = "Helm",
        ["app.kubernetes.io/part-of"] = "storefleet",
    };

    /// <summary>The env var of a container, or null.</summary>
    public static V1EnvVar? Env(this V1Container container, string name) => container.Env?.SingleOrDefault(e => e.Name == name);
}
