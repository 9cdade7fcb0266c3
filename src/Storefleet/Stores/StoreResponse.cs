using System.Text;
using Storefleet.Provisioning;

namespace Storefleet.Stores;

/// <param name="CloneFrom">Optional: a copy of one of the caller's stores from its backup (see Backups/BackupsApi).</param>
public sealed record CreateStoreRequest(string? Name, string? Engine, Backups.CloneFrom? CloneFrom = null);

public sealed record StoreUrls(string Storefront, string Admin);

/// <summary>
/// A store as tenants see it. <see cref="Message"/> is the one-line reason behind the current status.
/// <see cref="ChartVersion"/> is the store chart version that runs (the wanted one until the store was first Ready);
/// <see cref="TargetChartVersion"/> is set only while a fleet upgrade (or its rollback) moves the store to another.
/// </summary>
public sealed record StoreResponse(
    Guid Id,
    string Name,
    string Slug,
    string Engine,
    StorePhase Status,
    string? Message,
    IReadOnlyList<StoreCondition> Conditions,
    StoreUrls? Urls,
    DateTime CreatedAt,
    DateTime UpdatedAt)
{
    public string? ChartVersion { get; init; }
    public string? TargetChartVersion { get; init; }

    public static StoreResponse From(Store s) => new(
        s.Id, s.Name, s.Slug, s.Engine, s.Phase,
        s.Conditions.ReadyMessage(),
        s.Conditions,
        s.StorefrontUrl is not null && s.AdminUrl is not null ? new StoreUrls(s.StorefrontUrl, s.AdminUrl) : null,
        s.CreatedAt, s.UpdatedAt)
    {
        ChartVersion = s.RunningChartVersion ?? s.ChartVersion,
        TargetChartVersion = s.RunningChartVersion is { } running && running != s.ChartVersion ? s.ChartVersion : null,
    };
}

/// <summary>An admin's view of a store: the tenant's view plus who owns it.</summary>
public sealed record AdminStoreResponse(StoreResponse Store, Guid OwnerId, string OwnerEmail);

public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public sealed record StoreEventResponse(long Id, DateTime Time, string Type, string Reason, string Message);

/// <summary>Opaque keyset cursor over (createdAt desc, id desc): stable while stores are added or removed.</summary>
public readonly record struct StoreCursor(DateTime CreatedAt, Guid Id)
{
    public string Encode() =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{CreatedAt.Ticks}:{Id:N}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string? text, out StoreCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 100) return false;
        try
        {
            var b64 = text.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            var parts = Encoding.ASCII.GetString(Convert.FromBase64String(b64)).Split(':');
            if (parts.Length != 2 || !long.TryParse(parts[0], out var ticks) || ticks < 0 || ticks > DateTime.MaxValue.Ticks
                || !Guid.TryParseExact(parts[1], "N", out var id)) return false;
            cursor = new StoreCursor(new DateTime(ticks, DateTimeKind.Utc), id);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
