using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Storefleet.Audit;
using Storefleet.Auth;
using Storefleet.Stores;
using Storefleet.Upgrades;

namespace Storefleet.Data;

/// <summary>
/// The platform database. The model is shared; each provider has a subclass only so that it can keep
/// its own migrations (SQLite and PostgreSQL differ in types and DDL).
/// </summary>
public abstract class StorefleetDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();
    public DbSet<Store> Stores => Set<Store>();
    public DbSet<StoreEvent> StoreEvents => Set<StoreEvent>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();
    public DbSet<SlugReservation> SlugReservations => Set<SlugReservation>();
    public DbSet<Rollout> Rollouts => Set<Rollout>();
    public DbSet<RolloutWave> RolloutWaves => Set<RolloutWave>();
    public DbSet<RolloutStore> RolloutStores => Set<RolloutStore>();
    public DbSet<Backups.StoreBackup> StoreBackups => Set<Backups.StoreBackup>();

    protected override void ConfigureConventions(ModelConfigurationBuilder conventions)
    {
        // Every timestamp is UTC. SQLite stores text without a kind; reading it back as UTC keeps
        // "Z" on the wire and comparisons right.
        conventions.Properties<DateTime>().HaveConversion<UtcConverter>();
        conventions.Properties<DateTime?>().HaveConversion<UtcConverter>();
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<User>(user =>
        {
            user.HasIndex(u => u.Email).IsUnique();
            user.Property(u => u.Email).HasMaxLength(254);
            user.Property(u => u.Role).HasMaxLength(16);
            user.Property(u => u.SecurityStamp).HasMaxLength(64);
        });

        model.Entity<Store>(store =>
        {
            store.Property(s => s.Name).HasMaxLength(40);
            store.Property(s => s.Slug).HasMaxLength(63);
            store.Property(s => s.Engine).HasMaxLength(32);
            store.Property(s => s.ChartVersion).HasMaxLength(32);
            store.Property(s => s.RunningChartVersion).HasMaxLength(32);
            store.HasIndex(s => s.RolloutId);
            store.Property(s => s.Phase).HasConversion<string>().HasMaxLength(16);
            store.Property(s => s.LeaseOwner).HasMaxLength(128);
            store.Property(s => s.StorefrontUrl).HasMaxLength(512);
            store.Property(s => s.AdminUrl).HasMaxLength(512);
            store.Property(s => s.AdminPasswordProtected).HasMaxLength(512);
            store.Property(s => s.AdminUser).HasMaxLength(60);
            // A worker's write succeeds only if the spec did not change, it still holds the lease, and no backup was
            // queued since it read the store (it may be clearing the backup marker).
            store.Property(s => s.Generation).IsConcurrencyToken();
            store.Property(s => s.LeaseOwner).IsConcurrencyToken();
            store.Property(s => s.PendingBackupId).IsConcurrencyToken();
            store.HasIndex(s => s.Slug).IsUnique();
            // "my stores, newest first" and the quota count. Id is in the key because the page order (and the keyset
            // cursor) is (CreatedAt, Id): a page is then read straight off the index, with no sort.
            store.HasIndex(s => new { s.OwnerId, s.CreatedAt, s.Id });
            // the work queue: due stores in due order
            store.HasIndex(s => s.DueAt);
            // One JSON column, read and written by hand (ConditionsJson): on the hottest reads (a store, a page of
            // stores) EF's owned-JSON materializer cost more than the rest of the query together. The document is
            // the same one EF wrote before (PascalCase properties, ISO 8601 UTC times). On PostgreSQL it is json,
            // not jsonb: no query looks inside it, and jsonb is re-printed as text on every read (a third of
            // PostgreSQL's time for a page of 50 stores) while json is sent as stored.
            store.Property(s => s.Conditions).HasConversion(ConditionsJson.Converter, ConditionsJson.Comparer)
                .HasColumnType(Database.IsNpgsql() ? "json" : "TEXT");
            store.HasOne<User>().WithMany().HasForeignKey(s => s.OwnerId).OnDelete(DeleteBehavior.Restrict);
        });

        model.Entity<StoreEvent>(e =>
        {
            // No foreign key: the timeline outlives the store row.
            e.HasIndex(x => new { x.StoreId, x.Id });
            e.HasIndex(x => x.Time); // the retention sweep
            e.Property(x => x.Type).HasMaxLength(16);
            e.Property(x => x.Reason).HasMaxLength(64);
            e.Property(x => x.Message).HasMaxLength(2048);
        });

        model.Entity<IdempotencyRecord>(r =>
        {
            r.HasKey(x => new { x.OwnerId, x.Key });
            r.Property(x => x.Key).HasMaxLength(200);
            r.Property(x => x.RequestHash).HasMaxLength(64);
            r.HasIndex(x => x.CreatedAt); // the retention sweep
        });

        model.Entity<SlugReservation>(r =>
        {
            r.HasKey(x => x.Slug);
            r.Property(x => x.Slug).HasMaxLength(63);
        });

        UpgradesModel.Configure(model);
        Backups.StoreBackup.Configure(model);

        model.Entity<AuditEntry>(a =>
        {
            a.HasIndex(x => x.Time);
            a.HasIndex(x => x.TargetId);
            a.Property(x => x.Action).HasMaxLength(64);
            a.Property(x => x.ActorEmail).HasMaxLength(254);
            a.Property(x => x.TargetId).HasMaxLength(64);
            a.Property(x => x.TargetName).HasMaxLength(64);
            a.Property(x => x.SourceIp).HasMaxLength(64);
            a.Property(x => x.Outcome).HasMaxLength(16);
            a.Property(x => x.Detail).HasMaxLength(1024);
        });
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}

public sealed class SqliteStorefleetDb(DbContextOptions<SqliteStorefleetDb> options) : StorefleetDb(options);

public sealed class PostgresStorefleetDb(DbContextOptions<PostgresStorefleetDb> options) : StorefleetDb(options);
