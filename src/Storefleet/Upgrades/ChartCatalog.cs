using Microsoft.Extensions.Options;
using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Storefleet.Provisioning;
using Storefleet.Stores;

namespace Storefleet.Upgrades;

/// <summary>A store chart version the platform can install.</summary>
public sealed record ChartVersionInfo(string Version, bool Default, bool Synthetic);

/// <summary>
/// The store chart versions this platform can install. The default (<c>Stores:ChartVersion</c>) is what new stores get.
/// On the simulated twin: its versions (some synthetic, said so). On Kubernetes: the chart at
/// <c>Cluster:Kubernetes:ChartPath</c> (the default version) plus <c>Cluster:Kubernetes:ChartVersions</c>.
/// </summary>
public sealed class ChartCatalog
{
    public ChartCatalog(IOptions<StoreOptions> stores, PlatformInfo platform, SimulatedClusterOptions simulated, KubernetesClusterOptions kubernetes)
    {
        Default = stores.Value.ChartVersion;
        var versions = platform.Simulated
            ? simulated.ChartVersions.Select(v => new ChartVersionInfo(v.Key, v.Key == Default, v.Value.Synthetic))
            : kubernetes.ChartVersions.Keys.Append(Default).Distinct().Select(v => new ChartVersionInfo(v, v == Default, false));
        Versions = [.. versions.OrderBy(v => v.Version, VersionOrder.Instance)];
    }

    public string Default { get; }
    public IReadOnlyList<ChartVersionInfo> Versions { get; }

    public bool Contains(string version) => Versions.Any(v => v.Version == version);
}

/// <summary>Orders chart versions numerically where they are (0.10.0 after 0.9.0), else as text.</summary>
public sealed class VersionOrder : IComparer<string>
{
    public static readonly VersionOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        var a = (x ?? "").Split('.', '-', '+');
        var b = (y ?? "").Split('.', '-', '+');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var p = i < a.Length ? a[i] : "";
            var q = i < b.Length ? b[i] : "";
            var c = int.TryParse(p, out var m) && int.TryParse(q, out var n) ? m.CompareTo(n) : string.CompareOrdinal(p, q);
            if (c != 0) return c;
        }
        return 0;
    }
}
