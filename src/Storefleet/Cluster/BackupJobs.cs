using System.Text.Json;

namespace Storefleet.Cluster;

/// <summary>
/// A backup Job of one store: the chart's <c>&lt;release&gt;-backup</c> template plus <see cref="Environment"/>.
/// The URL is a presigned PUT for the backup's one object (a bearer credential: the driver passes it through a Secret).
/// </summary>
public sealed record BackupJob(Guid BackupId, Uri UploadUrl)
{
    /// <summary>Deterministic: a retried step finds the Job an earlier attempt created.</summary>
    public string RunId => BackupId.ToString("N")[^12..];

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["BACKUP_ID"] = BackupId.ToString(),
        ["BACKUP_UPLOAD_URL"] = UploadUrl.AbsoluteUri,
    };
}

/// <summary>A restore Job: the chart's <c>&lt;release&gt;-restore</c> template plus <see cref="Environment"/>.</summary>
/// <param name="RunId">Unique per restore request (the engine uses the store's generation), so a new request gets a new Job.</param>
/// <param name="Sha256">What the backup Job reported: the restore refuses an object with any other content.</param>
public sealed record RestoreJob(string RunId, Guid BackupId, Uri DownloadUrl, string Sha256)
{
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["RESTORE_BACKUP_ID"] = BackupId.ToString(),
        ["RESTORE_DOWNLOAD_URL"] = DownloadUrl.AbsoluteUri,
        ["RESTORE_SHA256"] = Sha256,
    };
}

public enum JobState
{
    Running,
    Completed,
    Failed,
    /// <summary>The store's chart has no template for this Job (a chart from before backups): nothing ran, nothing will.</summary>
    NoTemplate,
}

/// <summary>Where a backup or restore Job is; for a completed backup, what it uploaded.</summary>
public sealed record JobStatus(JobState State, string Message, long? SizeBytes = null, string? Sha256 = null)
{
    public static JobStatus Running(string message) => new(JobState.Running, message);
    public static JobStatus Failed(string message) => new(JobState.Failed, message);
    public static JobStatus NoTemplate(string message) => new(JobState.NoTemplate, message);

    /// <summary>
    /// The result a backup Job reports: its termination message <c>{"sizeBytes":N,"sha256":"…"}</c>, or its log
    /// whose line <c>backup done: {…}</c> carries the same. Null when neither is there.
    /// </summary>
    public static JobStatus? CompletedBackup(string output)
    {
        var json = output.Split('\n', StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith("backup done: ", StringComparison.Ordinal) ? l["backup done: ".Length..] : l)
            .LastOrDefault(l => l.StartsWith('{'));
        if (json is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var size = doc.RootElement.GetProperty("sizeBytes").GetInt64();
            var sha = doc.RootElement.GetProperty("sha256").GetString();
            if (sha is not { Length: 64 } || !sha.All(Uri.IsHexDigit)) return null;
            return new JobStatus(JobState.Completed, $"Uploaded {size} bytes (sha256 {sha}).", size, sha);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The reason line a failed backup or restore script ends with (<c>backup FAILED: …</c>), or the last line.</summary>
    public static string FailureReason(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.LastOrDefault(l => l.Contains(" FAILED: ", StringComparison.Ordinal)) ?? lines.LastOrDefault() ?? "no output";
    }
}
