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
            // Many concurrent short reads: multiplexing lets them share connections and go out in one socket write
            // instead of one each (the write syscalls were most of the API's CPU per read). Only in API-only
            // processes: workers hold lease transactions across steps, and with multiplexing on every process a
            // CI run once saw two leased stores stop progressing; until that is understood they keep a
            // connection per command. The connection string's own Multiplexing setting always wins.
            if (!postgres.Contains("Multiplexing", StringComparison.OrdinalIgnoreCase) && !Provisioning.ProcessRoles.From(builder.Configuration).Worker)
                connection.Multiplexing = true;
            Register<PostgresStorefleetDb>(builder.Services, o => o.UseNpgsql(connection.ToString()));
        }
        else
        {
            var file = DataDirectory.SqliteFile(builder.Configuration);
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

/// <summary>
/// Where local state lives (SQLite file, Development keys): <c>Storage:DataDirectory</c>, default <c>.data</c>.
/// Owner-only on Unix: the directory is created 0700, the database file 0600 and keys 0600 from their
/// first byte (written to a temporary file of that mode, then renamed into place).
/// </summary>
public static class DataDirectory
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string Get(IConfiguration configuration)
    {
        var dir = Path.GetFullPath(configuration["Storage:DataDirectory"] ?? ".data");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else if (!Directory.Exists(dir)) Directory.CreateDirectory(dir, OwnerOnlyDirectory);
        return dir;
    }

    /// <summary>
    /// The SQLite database file, created empty and owner-only if absent (SQLite would create it 0644
    /// under the usual umask; its -wal and -shm files take the database file's mode). An existing file
    /// readable by others is tightened.
    /// </summary>
    public static string SqliteFile(IConfiguration configuration)
    {
        var file = Path.Combine(Get(configuration), "storefleet.db");
        if (OperatingSystem.IsWindows()) return file;
        try
        {
            using (new FileStream(file, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, UnixCreateMode = OwnerOnlyFile })) { }
            if ((File.GetUnixFileMode(file) & ~OwnerOnlyFile) != 0) File.SetUnixFileMode(file, OwnerOnlyFile);
        }
        catch (UnauthorizedAccessException)
        {
            // not ours to change (a read-only mount, another owner): SQLite reports what it cannot do
        }
        return file;
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
            // Never world-readable, not even for a moment: the temporary file is created 0600, written,
            // flushed and renamed. Two processes starting at once: the first rename wins, the other reads it.
            var temporary = $"{file}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnlyFile;
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(bytes)));
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temporary, file, overwrite: false);
            }
            catch (IOException) when (File.Exists(file))
            {
                File.Delete(temporary);
            }
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
