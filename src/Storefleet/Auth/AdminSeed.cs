using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Storefleet.Data;

namespace Storefleet.Auth;

/// <summary>
/// The first administrator comes from configuration (Admin:Email and Admin:Password): created at start-up
/// when absent. Seeding creates, it never promotes: anyone can register any email without verifying it,
/// so an existing tenant account with the configured email is refused (start-up fails), never given the
/// admin role with the password its registrant chose. An administrator that already exists (seeded
/// earlier, or by another replica) is left as it is; its password is never overwritten.
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

        if (CredentialRules.EmailProblems(options.Email) is { Length: > 0 } emailProblems)
            throw new AdminSeedException($"Admin:Email '{options.Email}' is not usable: {string.Join(" ", emailProblems)} Fix Admin:Email (Admin__Email), or unset it to seed no administrator.");
        var email = CredentialRules.NormalizeEmail(options.Email);

        for (var attempt = 1; ; attempt++)
        {
            var existing = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == email, ct);
            if (existing is not null)
            {
                if (existing.Role == Roles.Admin) return;
                throw new AdminSeedException(
                    $"Admin:Email is {email}, but a tenant account with that email already exists (registered {existing.CreatedAt:u}). " +
                    "Start-up refuses to promote it: whoever registered it chose its password. Configure another Admin:Email, " +
                    "or delete that account after checking who owns it, then start again.");
            }

            if (string.IsNullOrEmpty(options.Password))
                throw new AdminSeedException($"Admin:Email is {email} but Admin:Password is not set, so the administrator cannot be created. Set Admin__Password, or unset Admin__Email.");
            if (CredentialRules.PasswordProblems(options.Password, email) is { Length: > 0 } passwordProblems)
                throw new AdminSeedException($"Admin:Password cannot be used for the administrator {email}: {string.Join(" ", passwordProblems)} Set a stronger Admin__Password.");

            var user = new User { Id = Guid.CreateVersion7(), Email = email, PasswordHash = "", Role = Roles.Admin, CreatedAt = DateTime.UtcNow };
            user.PasswordHash = scope.ServiceProvider.GetRequiredService<IPasswordHasher<User>>().HashPassword(user, options.Password);
            db.Users.Add(user);
            try
            {
                await db.SaveChangesAsync(ct);
                log.LogInformation("Created the administrator account {Email}", email);
                return;
            }
            catch (DbUpdateException e) when (e.IsUniqueViolation() && attempt == 1)
            {
                // Another replica seeded it, or someone registered the email, at the same moment: look again.
                db.ChangeTracker.Clear();
            }
        }
    }
}

/// <summary>Start-up cannot create the configured administrator; the message says what to change.</summary>
public sealed class AdminSeedException(string message) : InvalidOperationException(message);
