using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace Storefleet.Backups;

/// <summary>
/// One backup of one store: a single object in the platform's bucket (database dump + wp-content, see
/// charts/woocommerce-store/files/backup.sh). The row outlives the store for the grace period
/// (<see cref="BackupOptions.GraceAfterStoreDeletion"/>), so a deleted shop can still be cloned back.
/// </summary>
public sealed class StoreBackup
{
    public Guid Id { get; set; }
    public Guid StoreId { get; set; }
    /// <summary>The store's owner when the backup was taken: only they may list, restore or clone it.</summary>
    public Guid OwnerId { get; set; }
    public BackupKind Kind { get; set; }
    public BackupState State { get; set; } = BackupState.Pending;
    /// <summary>Key of the object in the bucket: <c>&lt;prefix&gt;/stores/&lt;store id&gt;/&lt;backup id&gt;.tar</c>.</summary>
    public required string ObjectKey { get; set; }
    /// <summary>For a pre-upgrade backup: the chart version the store was about to be upgraded to (one backup per target).</summary>
    public string? ChartVersion { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public long? SizeBytes { get; set; }
    /// <summary>sha256 of the whole object, as the backup Job computed it; a restore refuses any other content.</summary>
    public string? Sha256 { get; set; }
    /// <summary>Why it failed, or what it holds; shown to the owner.</summary>
    public string Message { get; set; } = "";
    /// <summary>When the sweep first found the store gone; the object is deleted a grace period later.</summary>
    public DateTime? StoreGoneAt { get; set; }

    /// <summary>Pending or Running: the store's one backup under way. For queries; <see cref="Active"/> is the same, compiled once.</summary>
    public static readonly Expression<Func<StoreBackup, bool>> IsActive = b => b.State == BackupState.Pending || b.State == BackupState.Running;

    /// <summary>
    /// The one definition of "the upgrade to <see cref="ChartVersion"/> may go ahead": its pre-upgrade backup completed,
    /// or was skipped because the store's chart cannot take one. For queries; <see cref="LetsUpgradeProceed"/> is the
    /// same, compiled once, for the backups a lease changed but has not saved yet.
    /// </summary>
    public static readonly Expression<Func<StoreBackup, bool>> ClearsUpgrade =
        b => b.Kind == BackupKind.PreUpgrade && (b.State == BackupState.Completed || b.State == BackupState.Skipped);

    private static readonly Func<StoreBackup, bool> IsActiveNow = IsActive.Compile(), ClearsUpgradeNow = ClearsUpgrade.Compile();

    public bool Active => IsActiveNow(this);

    public bool LetsUpgradeProceed => ClearsUpgradeNow(this);

    /// <summary>The Job that takes it: deterministic, so a worker that retries finds the Job an earlier attempt made.</summary>
    public string RunId => Id.ToString("N")[^12..];

    public static string KeyFor(string prefix, Guid storeId, Guid backupId) =>
        $"{prefix.Trim('/')}/stores/{storeId:D}/{backupId:D}.tar".TrimStart('/');

    internal static void Configure(ModelBuilder model) => model.Entity<StoreBackup>(b =>
    {
        b.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.ObjectKey).HasMaxLength(512);
        b.Property(x => x.ChartVersion).HasMaxLength(32);
        b.Property(x => x.Sha256).HasMaxLength(64);
        b.Property(x => x.Message).HasMaxLength(2048);
        // No foreign key: backups outlive the store row (grace period).
        b.HasIndex(x => new { x.StoreId, x.CreatedAt }); // a store's list, newest first; its active backup
        b.HasIndex(x => new { x.OwnerId, x.CreatedAt }); // the per-user limit
    });
}

public enum BackupKind { Manual, Scheduled, PreUpgrade }

public enum BackupState
{
    Pending,
    Running,
    Completed,
    Failed,
    /// <summary>
    /// Nothing was backed up, by design: the store's chart has no backup template (a chart from before backups), so
    /// a pre-upgrade backup is skipped and the upgrade (which brings the templates) goes ahead. The message says so.
    /// </summary>
    Skipped,
}

public static class BackupKinds
{
    /// <summary>The API's spelling: manual, scheduled, pre-upgrade.</summary>
    public static string Wire(this BackupKind kind) => kind switch
    {
        BackupKind.Manual => "manual",
        BackupKind.Scheduled => "scheduled",
        _ => "pre-upgrade",
    };
}
