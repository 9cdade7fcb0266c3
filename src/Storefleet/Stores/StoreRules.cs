using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Storefleet.Stores;

public sealed class StoreOptions
{
    /// <summary>Active stores (not being deleted) a user may own, unless their account overrides it.</summary>
    public int DefaultQuota { get; set; } = 3;
    /// <summary>Version of charts/woocommerce-store that new stores are created with.</summary>
    public string ChartVersion { get; set; } = "0.1.0";
    public string[] Engines { get; set; } = ["woocommerce"];
    /// <summary>
    /// How long a deleted store's slug stays reserved after its namespace is gone, so that a new store does not
    /// take over its address (links, caches, cookies, search results) at once.
    /// </summary>
    public TimeSpan SlugGracePeriod { get; set; } = TimeSpan.FromHours(24);
    /// <summary>How often an idle live event stream sends <c>: ping</c> and re-checks its session.</summary>
    public TimeSpan EventStreamHeartbeat { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Store names and the slugs derived from them.</summary>
public static class StoreRules
{
    public const int MinNameLength = 3;
    public const int MaxNameLength = 40;
    private const int MaxBaseSlugLength = 40;

    // Slugs that would shadow the platform's own hostnames under the shared base domain.
    private static readonly HashSet<string> Reserved =
        ["api", "app", "www", "admin", "dashboard", "platform", "storefleet", "mail", "status", "metrics", "grafana", "auth", "login"];

    public static string[] NameProblems(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return ["Name is required."];
        var normalized = name.Normalize(NormalizationForm.FormC).Trim();
        var length = new StringInfo(normalized).LengthInTextElements;
        var problems = new List<string>();
        if (length < MinNameLength || length > MaxNameLength)
            problems.Add($"Name must be {MinNameLength} to {MaxNameLength} characters long (it is {length}).");
        if (!normalized.All(IsAllowed))
            problems.Add("Name may contain only letters, digits, spaces and hyphens.");
        else if (normalized.Contains("  ", StringComparison.Ordinal))
            problems.Add("Name must not contain consecutive spaces.");
        return [.. problems];
    }

    public static string NormalizeName(string name) => name.Normalize(NormalizationForm.FormC).Trim();

    private static bool IsAllowed(char c) =>
        c is ' ' or '-' or >= '0' and <= '9'
        || char.IsLetter(c)
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    /// <summary>
    /// A DNS-1123 label from the name: ASCII letters and digits, accents stripped, other runs become one
    /// hyphen. Names with too little ASCII (e.g. entirely in another script) fall back to "store".
    /// </summary>
    public static string BaseSlug(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name.Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        var slug = sb.ToString().Trim('-');
        if (slug.Length > MaxBaseSlugLength) slug = slug[..MaxBaseSlugLength].TrimEnd('-');
        return slug.Length < MinNameLength || Reserved.Contains(slug) ? $"store-{slug}".TrimEnd('-') : slug;
    }

    /// <summary>The base slug with a short random suffix, for when the base is taken.</summary>
    public static string SuffixedSlug(string baseSlug) =>
        $"{baseSlug}-{RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 5)}";

    /// <summary>Idempotency-Key: 1-200 visible ASCII characters.</summary>
    public static bool IsValidIdempotencyKey(string key) =>
        key.Length is >= 1 and <= 200 && key.All(c => c is >= '!' and <= '~');
}
