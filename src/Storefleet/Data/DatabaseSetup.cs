using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Storefleet.Data;


public static class DatabaseSetup
{
    public const string ConnectionName = "Storefleet";

    /// <summary>
    /// PostgreSQL when <c>ConnectionStrings:Storefleet</c> is set; otherwise a SQLite file in the data
    /// directory, so that a fresh checkout runs with no setup at all.
    /// </summary>
    public static WebApplicationBuilder AddStorefleetDatabase(this WebApplicationBuilder builder)
    {
        var postgres = builder.Configuration.GetConnectionString(ConnectionName);
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            // Pooled connections are not reset with DISCARD ALL on return: the platform keeps no session
            // state, and the reset was a round trip on every context (a third of all statements under load).
            var connection = new NpgsqlConnectionStringBuilder(postgres);
            if (!postgres.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase)) connection.NoResetOnClose = true;
            // The same few queries run all day: let Npgsql prepare them so PostgreSQL parses and plans each once per connection.
            if (!postgres.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)) connection.MaxAutoPrepare = 64;
            Register<PostgresStorefleetDb>(builder.Services, o => o.UseNpgsql(connection.ToString()));
        }
        else
        {
            var file = Path.Combine(DataDirectory.Get(builder.Configuration), "storefleet.db");
            var sqlite = new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = 30 }.ToString();
            Register<SqliteStorefleetDb>(builder.Services, o => o.UseSqlite(sqlite));
        }
        return builder;
    }

    /// <summary>Applies pending migrations. Safe to run from several replicas at once (EF takes a migration lock).</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorefleetDb>();
        if (db.Database.IsSqlite())
        {
            // WAL lets readers proceed while a writer commits; set once, it sticks to the file.
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            await db.Database.CloseConnectionAsync();
        }
        await db.Database.MigrateAsync(ct);
    }

    /// <summary>True when the save failed on a unique index (a concurrent insert won).</summary>
    public static bool IsUniqueViolation(this DbUpdateException e) => e.InnerException switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        _ => false,
    };

    // One pool serves both request-scoped contexts and the workers' factory-made ones; code asks for
    // the provider-neutral StorefleetDb either way.
    private static void Register<T>(IServiceCollection services, Action<DbContextOptionsBuilder> configure) where T : StorefleetDb
    {
        services.AddPooledDbContextFactory<T>(configure);
        services.AddSingleton<IDbContextFactory<StorefleetDb>>(sp => new UpcastFactory<T>(sp.GetRequiredService<IDbContextFactory<T>>()));
        services.AddScoped<StorefleetDb>(sp => sp.GetRequiredService<IDbContextFactory<T>>().CreateDbContext());
    }

    private sealed class UpcastFactory<T>(IDbContextFactory<T> inner) : IDbContextFactory<StorefleetDb>
        where T : StorefleetDb
    {
        public StorefleetDb CreateDbContext() => inner.CreateDbContext();
    }
}

/// <summary>Where local state lives (SQLite file, development signing key): <c>Storage:DataDirectory</c>, default <c>.data</c>.</summary>
public static class DataDirectory
{
    public static string Get(IConfiguration configuration)
    {
        var dir = Path.GetFullPath(configuration["Storage:DataDirectory"] ?? ".data");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// A random key generated on first use and kept (owner-only) in the data directory, so a Development
    /// restart keeps sessions and decryptable secrets. Never used outside Development.
    /// </summary>
    public static byte[] DevelopmentKey(IConfiguration configuration, string fileName, int bytes)
    {
        var file = Path.Combine(Get(configuration), fileName);
        if (!File.Exists(file))
        {
            File.WriteAllText(file, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(bytes)));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return Convert.FromBase64String(File.ReadAllText(file).Trim());
    }
}

// Design-time factories for `dotnet ef migrations add`; never used at run time.
public sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteStorefleetDb>
{
    public SqliteStorefleetDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteStorefleetDb>().UseSqlite("Data Source=design.db").Options);
}

public sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresStorefleetDb>
{
    public PostgresStorefleetDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresStorefleetDb>().UseNpgsql("Host=localhost;Database=design").Options);
}
