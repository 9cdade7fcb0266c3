namespace Storefleet.Auth;

public sealed class User
{
    public Guid Id { get; set; }
    /// <summary>Normalised (trimmed, lower-case); unique.</summary>
    public required string Email { get; set; }
    public required string PasswordHash { get; set; }
    public string Role { get; set; } = Roles.Tenant;
    /// <summary>Per-user override of the platform's default store quota.</summary>
    public int? StoreQuota { get; set; }
    /// <summary>Lifetime count of stores this user created. Incremented first thing in every create,
    /// which also takes the lock that makes the quota check atomic (see StoresApi.CreateStore).</summary>
    public long StoresCreated { get; set; }
    /// <summary>Changes whenever every session of this user must end (password change, sign out everywhere,
    /// role change); access tokens carry it and are refused once it differs (see SessionStamps).</summary>
    public string SecurityStamp { get; set; } = SessionStamps.NewStamp();
    public DateTime CreatedAt { get; set; }
}

public static class Roles
{
    public const string Tenant = "tenant";
    public const string Admin = "admin";
}
