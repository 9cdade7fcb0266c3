using System.Security.Cryptography;
using System.Text;
using Storefleet.Data;

namespace Storefleet.Secrets;

/// <summary>
/// Encrypts the one store secret the API must hand out (the WordPress admin password) before it is
/// written to the app database: AES-256-GCM, bound to the store id, with a key that lives outside the
/// database (<c>Secrets:EncryptionKey</c>). The API itself never talks to Kubernetes.
/// </summary>
public sealed class CredentialProtector(byte[] key)
{
    private const int NonceSize = 12, TagSize = 16;

    public string Protect(Guid storeId, string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var output = new byte[NonceSize + TagSize + plain.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), storeId.ToByteArray());
        return Convert.ToBase64String(output);
    }

    public string Unprotect(Guid storeId, string protectedSecret)
    {
        var input = Convert.FromBase64String(protectedSecret);
        var plain = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plain, storeId.ToByteArray());
        return Encoding.UTF8.GetString(plain);
    }
}

public static class CredentialProtection
{
    public static WebApplicationBuilder AddCredentialProtection(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(new CredentialProtector(Key(builder.Configuration, builder.Environment)));
        return builder;
    }

    private static byte[] Key(IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration["Secrets:EncryptionKey"];
        if (!string.IsNullOrEmpty(configured))
        {
            byte[] bytes;
            try { bytes = Convert.FromBase64String(configured); }
            catch (FormatException) { throw new InvalidOperationException("Secrets:EncryptionKey must be base64 of 32 random bytes (openssl rand -base64 32)."); }
            return bytes.Length == 32 ? bytes : throw new InvalidOperationException($"Secrets:EncryptionKey decodes to {bytes.Length} bytes; it must be 32 (openssl rand -base64 32).");
        }
        if (!environment.IsDevelopment())
            throw new InvalidOperationException("Secrets:EncryptionKey is not set. Outside Development the platform refuses to start without it " +
                "(set Secrets__EncryptionKey to the output of `openssl rand -base64 32`; API and workers need the same key).");
        return DataDirectory.DevelopmentKey(configuration, "credentials.key", 32);
    }
}
