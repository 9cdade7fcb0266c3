using Storefleet.Data;

namespace Storefleet.Notifications;

public static class NotificationsSetup
{
    /// <summary>
    /// Chooses the <see cref="IStoreNotifier"/> once, at start-up: Redis pub/sub when Redis is configured (every
    /// replica has it), else PostgreSQL LISTEN/NOTIFY when the database is PostgreSQL, else in-process (SQLite:
    /// one process, nothing to carry).
    /// </summary>
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<StoreQueueSignal>();
        services.AddSingleton<StoreChangeFeed>();
        var postgres = builder.Configuration.GetConnectionString(DatabaseSetup.ConnectionName);
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis")))
        {
            services.AddSingleton<RedisNotifier>();
            services.AddSingleton<IStoreNotifier>(sp => sp.GetRequiredService<RedisNotifier>());
            services.AddHostedService(sp => sp.GetRequiredService<RedisNotifier>());
        }
        else if (!string.IsNullOrWhiteSpace(postgres))
        {
            services.AddSingleton(sp => new PostgresNotifier(postgres, sp.GetRequiredService<StoreQueueSignal>(),
                sp.GetRequiredService<StoreChangeFeed>(), sp.GetRequiredService<ILogger<PostgresNotifier>>()));
            services.AddSingleton<IStoreNotifier>(sp => sp.GetRequiredService<PostgresNotifier>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresNotifier>());
        }
        else
        {
            services.AddSingleton<IStoreNotifier, InProcessNotifier>();
        }
        return builder;
    }
}
