using System.Text.Json;
using System.Text.Json.Serialization;

namespace Storefleet.Cluster.Kubernetes;

/// <summary>Builds helm command lines and reads helm's JSON output. Pure: tested against real helm and recorded outputs.</summary>
public static class HelmReleases
{
    public static List<string> UpgradeInstall(StoreRelease release, string chart, IEnumerable<string> valuesFiles, string generatedValues, TimeSpan timeout)
    {
        var args = new List<string>
        {
            "upgrade", "--install", release.Store.ReleaseName, chart,
            "--namespace", release.Store.Namespace,
            "--history-max", "10",
            "--timeout", $"{(int)timeout.TotalSeconds}s",
        };
        // A chart from a registry is pinned to the store's chart version; a local chart directory is what it is.
        if (chart.StartsWith("oci://", StringComparison.Ordinal)) args.AddRange(["--version", release.ChartVersion]);
        foreach (var file in valuesFiles) args.AddRange(["--values", file]);
        // Last, so the store's own values win over the operator's local/production defaults.
        args.AddRange(["--values", generatedValues]);
        return args;
    }

    public static List<string> Status(StoreRef store) => ["status", store.ReleaseName, "--namespace", store.Namespace, "--output", "json"];
    public static List<string> History(StoreRef store) => ["history", store.ReleaseName, "--namespace", store.Namespace, "--output", "json", "--max", "20"];
    public static List<string> Rollback(StoreRef store, int revision) => ["rollback", store.ReleaseName, revision.ToString(System.Globalization.CultureInfo.InvariantCulture), "--namespace", store.Namespace];
    public static List<string> Uninstall(StoreRef store) => ["uninstall", store.ReleaseName, "--namespace", store.Namespace, "--ignore-not-found"];

    /// <summary>
    /// The store's values, as JSON (a subset of YAML, so helm reads it) written by a serializer: names with
    /// quotes, colons or newlines stay data and cannot break out into other keys.
    /// </summary>
    public static string ValuesJson(StoreRelease release, string host, string credentialsSecret) => JsonSerializer.Serialize(new
    {
        // store.id marks the release as this store's: helm status shows it back (config.store.id) and the chart
        // labels its objects with it. A release of the store's name without it is never adopted.
        store = new { id = release.Store.Id.ToString(), slug = release.Store.Slug, name = release.DisplayName, adminEmail = release.OwnerEmail },
        ingress = new { host },
        credentials = new { existingSecret = credentialsSecret },
    }, Indented);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static bool IsNotFound(string stderr) => stderr.Contains("not found", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads <c>helm status -o json</c>.</summary>
    public static ReleaseInfo ParseStatus(string json)
    {
        var status = JsonSerializer.Deserialize<StatusJson>(json, Lenient) ?? throw new ClusterException("HelmOutput", "helm status printed no JSON.");
        var state = status.Info?.Status switch
        {
            "deployed" => ReleaseState.Deployed,
            "failed" => ReleaseState.Failed,
            "pending-install" or "pending-upgrade" or "pending-rollback" => ReleaseState.Pending,
            "uninstalling" => ReleaseState.Uninstalling,
            "uninstalled" or null => ReleaseState.Absent,
            // superseded/unknown: not a state a current release should be in; treat as failed so it is reinstalled
            _ => ReleaseState.Failed,
        };
        var description = status.Info?.Status is { } s && s.StartsWith("pending", StringComparison.Ordinal)
            ? $"{s} ({status.Info.Description})" : status.Info?.Description ?? "";
        return new ReleaseInfo(state, status.Version, status.Chart?.Metadata?.Version ?? "", status.Info?.LastDeployed?.UtcDateTime ?? DateTime.MinValue, description)
        {
            StoreId = StoreIdOf(status.Config),
        };
    }

    /// <summary>config.store.id of <c>helm status -o json</c> (the values the release was installed with), if it is a string.</summary>
    private static string? StoreIdOf(JsonElement? config) =>
        config is { ValueKind: JsonValueKind.Object } c
        && c.TryGetProperty("store", out var store) && store.ValueKind == JsonValueKind.Object
        && store.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString() : null;

    /// <summary>The newest revision that was ever deployed (what a rollback returns to), from <c>helm history -o json</c>.</summary>
    public static int? LastDeployedRevision(string json)
    {
        var history = JsonSerializer.Deserialize<List<HistoryJson>>(json, Lenient) ?? [];
        return history.Where(h => h.Status is "deployed" or "superseded").Select(h => (int?)h.Revision).Max();
    }

    private static readonly JsonSerializerOptions Lenient = new() { PropertyNameCaseInsensitive = true };

    private sealed record StatusJson(string? Name, InfoJson? Info, ChartJson? Chart, int Version, string? Namespace, JsonElement? Config);
    private sealed record InfoJson(
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("description")] string? Description,
        [property: JsonPropertyName("last_deployed")] DateTimeOffset? LastDeployed);
    private sealed record ChartJson(MetadataJson? Metadata);
    private sealed record MetadataJson(string? Name, string? Version);
    private sealed record HistoryJson(int Revision, string? Status, string? Chart, string? Description);
}
