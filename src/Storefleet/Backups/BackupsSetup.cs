using Microsoft.Extensions.Options;
using Storefleet.Provisioning;

namespace Storefleet.Backups;

public static class BackupsSetup
{
    /// <summary>
    /// <c>Backups:*</c>: the object store (S3-compatible) when configured; on the simulated cluster an in-memory
    /// bucket, so that <c>make run</c> shows the whole flow; otherwise backups are off and the API says so.
    /// </summary>
    public static WebApplicationBuilder AddBackups(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<BackupOptions>(builder.Configuration.GetSection("Backups"));
        services.AddHttpClient(nameof(S3BackupStorage));
        var worker = ProcessRoles.From(builder.Configuration).Worker;
        services.AddSingleton<IBackupStorage>(sp => new SelectedBackupStorage(() => Select(sp, worker)));
        if (worker)
        {
            services.AddSingleton<BackupSteps>();
            services.AddSingleton<BackupScheduler>();
            services.AddHostedService(sp => sp.GetRequiredService<BackupScheduler>());
        }
        return builder;
    }

    /// <summary>
    /// The configured bucket; else, on the simulated cluster, an in-memory one; else none. Chosen on first use, because
    /// with Cluster:Mode=auto what the process runs on is only known once the start-up detection has answered.
    /// </summary>
    private static IBackupStorage Select(IServiceProvider sp, bool worker)
    {
        var options = sp.GetRequiredService<IOptions<BackupOptions>>().Value;
        if (options.ObjectStore.Configured)
        {
            // Only workers presign and delete; an API replica only needs to know that backups are on.
            if (worker && (string.IsNullOrEmpty(options.ObjectStore.AccessKeyId) || string.IsNullOrEmpty(options.ObjectStore.SecretAccessKey)))
                throw new InvalidOperationException("Backups:ObjectStore:Endpoint and :Bucket are set but the access key is not: set Backups__ObjectStore__AccessKeyId and __SecretAccessKey (the platform chart reads them from an existing Secret).");
            return new S3BackupStorage(options.ObjectStore, sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(S3BackupStorage)), sp.GetRequiredService<TimeProvider>());
        }
        return sp.GetRequiredService<PlatformInfo>().Simulated ? new SimulatedBackupStorage() : new NoBackupStorage();
    }
}

/// <summary>Forwards to the storage <see cref="BackupsSetup"/> selects, chosen once, on first use.</summary>
public sealed class SelectedBackupStorage(Func<IBackupStorage> select) : IBackupStorage
{
    private readonly Lazy<IBackupStorage> _chosen = new(select);
    public IBackupStorage Chosen => _chosen.Value;
    public bool Enabled => Chosen.Enabled;
    public string Description => Chosen.Description;
    public string Prefix => Chosen.Prefix;
    public Uri PresignUpload(string key, TimeSpan lifetime) => Chosen.PresignUpload(key, lifetime);
    public Uri PresignDownload(string key, TimeSpan lifetime) => Chosen.PresignDownload(key, lifetime);
    public Task DeleteAsync(string key, CancellationToken ct) => Chosen.DeleteAsync(key, ct);
}
