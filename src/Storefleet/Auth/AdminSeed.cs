using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Data;

namespace Storefleet.Auth;

/// <summary>
/// The first administrator comes from configuration (Admin:Email and Admin:Password): created at start-up
/// when absent, promoted when the account exists. An existing password is never overwritten.
/// </summary>
public static class AdminSeed
{
    public static async Task SeedAdminAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var options = scope.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value;
        if (string.IsNullOrWhiteSpace(options.Email)) return;
        var log = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Storefleet.AdminSeed");
        var db = scope.ServiceProvider.GetRequiredService<StorefleetDb>();
        var email = CredentialRules.NormalizeEmail(options.Email);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Email == email, ct);
        if (user is null)
        {
            if (string.IsNullOrEmpty(options.Password) || CredentialRules.PasswordProblems(options.Password, email).Length > 0)
            {
                log.LogWarning("Admin:Email is set but Admin:Password is missing or too weak; no administrator was created.");
                return;
            }
            user = new User { Id = Guid.CreateVersion7(), Email = email, PasswordHash = "", Role = Roles.Admin, CreatedAt = DateTime.UtcNow };
            user.PasswordHash = scope.ServiceProvider.GetRequiredService<IPasswordHasher<User>>().HashPassword(user, options.Password);
            db.Users.Add(user);
            log.LogInformation("Created the administrator account {Email}", email);
        }
        else if (user.Role != Roles.Admin)
        {
            user.Role = Roles.Admin;
            log.LogInformation("Promoted {Email} to administrator", email);
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // another replica seeded it at the same moment
        }
    }
}
