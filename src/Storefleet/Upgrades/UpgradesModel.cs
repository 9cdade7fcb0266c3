using Microsoft.EntityFrameworkCore;

namespace Storefleet.Upgrades;

/// <summary>The rollout tables (see <see cref="Rollout"/>).</summary>
public static class UpgradesModel
{
    public static void Configure(ModelBuilder model)
    {
        model.Entity<Rollout>(r =>
        {
            r.Property(x => x.FromVersion).HasMaxLength(32);
            r.Property(x => x.ToVersion).HasMaxLength(32);
            r.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            r.Property(x => x.Reason).HasMaxLength(2048);
            r.Property(x => x.CreatedBy).HasMaxLength(254);
            // Every transition is a conditional update on the revision: two drivers never make the same one twice.
            r.Property(x => x.Revision).IsConcurrencyToken();
            r.HasIndex(x => x.State);
            r.HasIndex(x => x.CreatedAt);
            r.HasMany(x => x.Waves).WithOne().HasForeignKey(w => w.RolloutId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<RolloutWave>(w =>
        {
            w.HasKey(x => new { x.RolloutId, x.Index });
            w.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        });
        model.Entity<RolloutStore>(s =>
        {
            // No foreign key to the store: the record of what a rollout touched outlives a deleted store.
            s.HasKey(x => new { x.RolloutId, x.StoreId });
            s.HasIndex(x => new { x.RolloutId, x.Wave });
            s.HasIndex(x => x.StoreId);
            s.Property(x => x.FromVersion).HasMaxLength(32);
            s.HasOne<Rollout>().WithMany().HasForeignKey(x => x.RolloutId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
