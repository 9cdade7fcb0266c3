using Microsoft.Extensions.Options;
using Storefleet.Cluster;
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
        var worker = PlatformRoles.From(builder.Configuration).Worker;
        services.AddSingleton<IBackupStorage>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<BackupOptions>>().Value;
            if (options.ObjectStore.Configured)
            {
                // Only workers presign and delete; an API replica only needs to know that backups are on.
                if (worker && (string.IsNullOrEmpty(options.ObjectStore.AccessKeyId) || string.IsNullOrEmpty(options.ObjectStore.SecretAccessKey)))
                    throw new InvalidOperationException("Backups:ObjectStore:Endpoint and :Bucket are set but the access key is not: set Backups__ObjectStore__AccessKeyId and __SecretAccessKey (the platform chart reads them from an existing Secret).");
                return new S3BackupStorage(options.ObjectStore, sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(S3BackupStorage)), sp.GetRequiredService<TimeProvider>());
            }
            return sp.GetRequiredService<IStoreCluster>() is SimulatedCluster ? new SimulatedBackupStorage() : new NoBackupStorage();
        });
        services.AddSingleton<BackupSteps>();
        if (worker)
        {
            services.AddSingleton<BackupScheduler>();
            services.AddHostedService(sp => sp.GetRequiredService<BackupScheduler>());
        }
        return builder;
    }
}
