using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Storefleet.Backups;

/// <summary>
/// Where backups live. The worker never moves backup bytes itself: it hands each backup or restore Job a
/// presigned URL for its one object (so no store namespace holds bucket credentials), and deletes objects
/// the retention rule lets go.
/// </summary>
public interface IBackupStorage
{
    /// <summary>False: no object store is configured; backups are off (the API says so).</summary>
    bool Enabled { get; }
    /// <summary>Where, for people: "s3://bucket/prefix at endpoint" or "the simulated cluster's in-memory bucket".</summary>
    string Description { get; }
    string Prefix { get; }
    Uri PresignUpload(string key, TimeSpan lifetime);
    Uri PresignDownload(string key, TimeSpan lifetime);
    /// <summary>Deletes the object; succeeds when it is already gone.</summary>
    Task DeleteAsync(string key, CancellationToken ct);
}

/// <summary>No object store configured (a real cluster without Backups:ObjectStore): backups are off.</summary>
public sealed class NoBackupStorage : IBackupStorage
{
    public bool Enabled => false;
    public string Description => "not configured (set Backups__ObjectStore__Endpoint and __Bucket)";
    public string Prefix => "";
    public Uri PresignUpload(string key, TimeSpan lifetime) => throw new InvalidOperationException("Backups are not configured.");
    public Uri PresignDownload(string key, TimeSpan lifetime) => throw new InvalidOperationException("Backups are not configured.");
    public Task DeleteAsync(string key, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>The simulated cluster's bucket: URLs that lead nowhere, and a record of what retention deleted.</summary>
public sealed class SimulatedBackupStorage : IBackupStorage
{
    private readonly ConcurrentDictionary<string, DateTime> _deleted = new();
    public bool Enabled => true;
    public string Description => "the simulated cluster's in-memory bucket";
    public string Prefix => "storefleet";
    public Uri PresignUpload(string key, TimeSpan lifetime) => new($"https://simulated-bucket.invalid/{key}?op=put");
    public Uri PresignDownload(string key, TimeSpan lifetime) => new($"https://simulated-bucket.invalid/{key}?op=get");
    public Task DeleteAsync(string key, CancellationToken ct)
    {
        _deleted[key] = DateTime.UtcNow;
        return Task.CompletedTask;
    }
    public bool WasDeleted(string key) => _deleted.ContainsKey(key);
}

/// <summary>
/// An S3-compatible bucket through AWS Signature Version 4 query signing (presigned URLs): the same request
/// AWS S3, GCS's interoperability API and MinIO accept. No SDK: the worker needs PUT/GET URLs for Jobs and DELETE.
/// </summary>
public sealed class S3BackupStorage(ObjectStoreOptions options, HttpClient http, TimeProvider clock) : IBackupStorage
{
    public bool Enabled => true;
    public string Description => $"s3://{options.Bucket}/{options.Prefix.Trim('/')} at {options.Endpoint}";
    public string Prefix => options.Prefix;

    public Uri PresignUpload(string key, TimeSpan lifetime) => Presign("PUT", key, lifetime, clock.GetUtcNow().UtcDateTime);
    public Uri PresignDownload(string key, TimeSpan lifetime) => Presign("GET", key, lifetime, clock.GetUtcNow().UtcDateTime);

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, Presign("DELETE", key, TimeSpan.FromMinutes(5), clock.GetUtcNow().UtcDateTime)), ct);
        // 204 deleted, 404 already gone (S3 answers 204 for both).
        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
            throw new HttpRequestException($"Deleting {key} from bucket {options.Bucket} failed: {(int)response.StatusCode} {await Excerpt(response, ct)}");
    }

    private static async Task<string> Excerpt(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        return body.Length > 300 ? body[..300] : body;
    }

    /// <summary>SigV4 query signing (docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html); payload UNSIGNED.</summary>
    public Uri Presign(string method, string key, TimeSpan lifetime, DateTime now)
    {
        if (lifetime <= TimeSpan.Zero || lifetime > TimeSpan.FromDays(7)) throw new ArgumentOutOfRangeException(nameof(lifetime), "S3 accepts 1 s to 7 days.");
        var endpoint = new Uri(options.Endpoint!.TrimEnd('/') + "/");
        var encodedKey = string.Join('/', key.Split('/').Select(Encode));
        var (host, path) = options.ForcePathStyle
            ? (endpoint.Authority, $"{endpoint.AbsolutePath}{Encode(options.Bucket!)}/{encodedKey}")
            : ($"{options.Bucket}.{endpoint.Authority}", $"{endpoint.AbsolutePath}{encodedKey}");
        var date = now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var stamp = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var scope = $"{date}/{options.Region}/s3/aws4_request";
        var query = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["X-Amz-Algorithm"] = "AWS4-HMAC-SHA256",
            ["X-Amz-Credential"] = $"{options.AccessKeyId}/{scope}",
            ["X-Amz-Date"] = stamp,
            ["X-Amz-Expires"] = ((int)lifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ["X-Amz-SignedHeaders"] = "host",
        };
        var canonicalQuery = string.Join('&', query.Select(p => $"{Encode(p.Key)}={Encode(p.Value)}"));
        var canonicalRequest = $"{method}\n{path}\n{canonicalQuery}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD";
        var toSign = $"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var signingKey = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + options.SecretAccessKey), date), options.Region), "s3"), "aws4_request");
        var signature = Hex(Hmac(signingKey, toSign));
        return new Uri($"{endpoint.Scheme}://{host}{path}?{canonicalQuery}&X-Amz-Signature={signature}");
    }

    /// <summary>RFC 3986 unreserved characters stay, everything else is %XX (upper case), as SigV4 requires.</summary>
    private static string Encode(string value) => Uri.EscapeDataString(value);

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
