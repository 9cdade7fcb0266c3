using System.Net.Mail;

namespace Storefleet.Auth;

/// <summary>What an email address and a password must look like. Messages name exactly what is missing.</summary>
public static class CredentialRules
{
    public const int MinPasswordLength = 10;
    public const int MaxPasswordLength = 128;

    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    public static string[] EmailProblems(string? email)
    {
        if (string.IsNullOrWhiteSpace(email)) return ["Email is required."];
        var trimmed = email.Trim();
        if (trimmed.Length > 254) return ["Email must be at most 254 characters."];
        if (trimmed.Any(char.IsControl) || trimmed.Any(char.IsWhiteSpace)
            || !MailAddress.TryCreate(trimmed, out var parsed) || parsed.Address != trimmed
            || !parsed.Host.Contains('.'))
            return ["Email must be a valid address such as ana@example.com."];
        return [];
    }

    public static string[] PasswordProblems(string? password, string? email)
    {
        if (string.IsNullOrEmpty(password)) return ["Password is required."];
        var problems = new List<string>();
        if (password.Length < MinPasswordLength) problems.Add($"Password must be at least {MinPasswordLength} characters long.");
        if (password.Length > MaxPasswordLength) problems.Add($"Password must be at most {MaxPasswordLength} characters long.");
        if (!password.Any(char.IsLetter)) problems.Add("Password must contain a letter.");
        if (!password.Any(char.IsDigit)) problems.Add("Password must contain a digit.");
        if (email is not null && string.Equals(password.Trim(), email.Trim(), StringComparison.OrdinalIgnoreCase))
            problems.Add("Password must not be your email address.");
        return [.. problems];
    }
}
