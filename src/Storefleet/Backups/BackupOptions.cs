namespace Storefleet.Backups;

/// <summary>
/// <c>Backups:*</c>. Backups are on when an object store is configured (<see cref="ObjectStoreOptions.Endpoint"/>
/// and <see cref="ObjectStoreOptions.Bucket"/>), and always on the simulated cluster (an in-memory bucket).
/// </summary>
public sealed class BackupOptions
{
    public ObjectStoreOptions ObjectStore { get; set; } = new();
    /// <summary>Daily backups start at a time in [WindowStart, WindowStart + WindowLength) UTC, spread across stores by their id.</summary>
    public bool Scheduled { get; set; } = true;
    public TimeSpan WindowStart { get; set; } = TimeSpan.FromHours(1);
    public TimeSpan WindowLength { get; set; } = TimeSpan.FromHours(4);
    /// <summary>Retention: the newest backup of each of the last <see cref="KeepDaily"/> days and of each of the last <see cref="KeepWeekly"/> ISO weeks.</summary>
    public int KeepDaily { get; set; } = 7;
    public int KeepWeekly { get; set; } = 4;
    /// <summary>How long backups of a deleted store are kept (it can be cloned back meanwhile).</summary>
    public TimeSpan GraceAfterStoreDeletion { get; set; } = TimeSpan.FromDays(30);
    /// <summary>Backups (manual) and restores/clones one user may start per day.</summary>
    public int PerUserPerDay { get; set; } = 20;
    /// <summary>A backup of a store that is not running (Error, provisioning) fails after this.</summary>
    public TimeSpan WaitForStore { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>How long the presigned URL a Job gets is valid: longer than the Job's activeDeadlineSeconds.</summary>
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromHours(2);
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Retention reads every store's backups: hourly is plenty for a daily schedule.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>An S3-compatible bucket (AWS S3, GCS interoperability, MinIO, …). Credentials come from an existing Secret (platform chart).</summary>
public sealed class ObjectStoreOptions
{
    /// <summary>e.g. https://s3.eu-west-1.amazonaws.com, https://storage.googleapis.com, http://minio.minio:9000.</summary>
    public string? Endpoint { get; set; }
    public string? Bucket { get; set; }
    public string Region { get; set; } = "us-east-1";
    /// <summary>Keys start with this (several platforms can share a bucket).</summary>
    public string Prefix { get; set; } = "storefleet";
    public string? AccessKeyId { get; set; }
    public string? SecretAccessKey { get; set; }
    /// <summary>https://endpoint/bucket/key (MinIO, most S3-compatibles) rather than https://bucket.endpoint/key.</summary>
    public bool ForcePathStyle { get; set; } = true;

    public bool Configured => !string.IsNullOrWhiteSpace(Endpoint) && !string.IsNullOrWhiteSpace(Bucket);
}
