using System.Collections.Concurrent;

namespace Storefleet.Tests.Charts;

/// <summary>
/// charts/woocommerce-store as the provisioning engine installs it: release = slug, namespace
/// store-&lt;slug&gt;, one of the values files plus the engine's per-store values (engine-values.yaml).
/// Renders are cached: each (values file, --set) combination runs helm once per test run.
/// </summary>
public static class StoreChart
{
    public const string Release = "ana-bakery";
    public const string Namespace = "store-ana-bakery";
    public const string Secret = "store-credentials";

    /// <summary>The values files an operator picks from; values.yaml is the chart's defaults alone.</summary>
    public static TheoryData<string> ValuesFiles => new() { "values.yaml", "values-local.yaml", "values-prod.yaml" };

    public static ChartHarness Harness => ChartHarness.Shared;
    public static string Dir => Harness.ChartDir("woocommerce-store");
    public static string TestFiles => Path.Combine(Harness.RepoRoot, "tests", "Storefleet.Tests", "Charts");
    public static string EngineValues => Path.Combine(TestFiles, "engine-values.yaml");

    /// <summary>The values files for a render: the operator's pick (none for values.yaml) and the engine's.</summary>
    public static string[] ValuesFor(string valuesFile) =>
        valuesFile == "values.yaml" ? [EngineValues] : [Path.Combine(Dir, valuesFile), EngineValues];

    static readonly ConcurrentDictionary<string, Lazy<RenderedChart>> renders = new();

    public static RenderedChart Render(string valuesFile, IReadOnlyDictionary<string, string>? set = null)
    {
        var key = valuesFile + "|" + string.Join(",", (set ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}"));
        return renders.GetOrAdd(key, _ => new Lazy<RenderedChart>(() =>
            Harness.Template(Dir, Release, Namespace, ValuesFor(valuesFile), set))).Value;
    }

    public static ToolResult TryRender(IEnumerable<string> valuesFiles, IReadOnlyDictionary<string, string>? set = null, string release = Release) =>
        Harness.TryTemplate(Dir, release, $"store-{release}", valuesFiles, set);

    public static IReadOnlyDictionary<string, string?> RequiredLabels => new Dictionary<string, string?>
    {
        ["app.kubernetes.io/name"] = "woocommerce-store",
        ["app.kubernetes.io/instance"] = Release,
        ["app.kubernetes.io/managed-by"] = "Helm",
        ["app.kubernetes.io/part-of"] = "storefleet",
    };
}
