using System.Net;
using Storefleet.Backups;
using Storefleet.Tests.RealStore;

namespace Storefleet.Tests.Backups;

/// <summary>The SigV4 presigned URLs the engine hands to backup Jobs, against an S3 server that checks signatures (s3rver).</summary>
public class S3BackupStorageTests
{
    static LocalS3 Start()
    {
        var required = Environment.GetEnvironmentVariable("STOREFLEET_TEST_REQUIRE_SERVICES") == "1";
        if (!LocalS3.Installed)
        {
            if (required) throw new InvalidOperationException("s3rver is missing: run scripts/tools.sh s3 (make test does).");
            Skip.If(true, "s3rver is not installed (scripts/tools.sh s3)");
        }
        return LocalS3.Start();
    }

    [SkippableFact]
    public async Task APresignedPutGetAndDeleteRoundTripThroughAnS3Server()
    {
        using var s3 = Start();
        using var http = new HttpClient();
        var storage = new S3BackupStorage(s3.Options, http, TimeProvider.System);
        var key = StoreBackup.KeyFor(storage.Prefix, Guid.NewGuid(), Guid.NewGuid());

        var put = await http.PutAsync(storage.PresignUpload(key, TimeSpan.FromMinutes(5)), new ByteArrayContent("backup bytes"u8.ToArray()));
        Assert.True(put.IsSuccessStatusCode, $"{put.StatusCode}: {await put.Content.ReadAsStringAsync()}\n{s3.Log}");
        Assert.Equal("backup bytes", await http.GetStringAsync(storage.PresignDownload(key, TimeSpan.FromMinutes(5))));

        // s3rver knows the access key but does not check SigV4 signatures (its source says "unimplemented"):
        // the signature itself is checked against AWS's published example below.
        var unknownKey = new S3BackupStorage(new ObjectStoreOptions
        {
            Endpoint = s3.Options.Endpoint, Bucket = LocalS3.Bucket, AccessKeyId = "NOT-A-KEY", SecretAccessKey = "S3RVER",
        }, http, TimeProvider.System);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(unknownKey.PresignDownload(key, TimeSpan.FromMinutes(5)))).StatusCode);

        await storage.DeleteAsync(key, CancellationToken.None);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(storage.PresignDownload(key, TimeSpan.FromMinutes(5)))).StatusCode);
        await storage.DeleteAsync(key, CancellationToken.None); // already gone: still fine
    }

    /// <summary>The example of docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html, to the last hex digit.</summary>
    [Fact]
    public void ThePresignedUrlCarriesTheSignatureAwsDocumentsForItsOwnExample()
    {
        var storage = new S3BackupStorage(new ObjectStoreOptions
        {
            Endpoint = "https://s3.amazonaws.com", Bucket = "examplebucket", Region = "us-east-1", ForcePathStyle = false,
            AccessKeyId = "AKIAIOSFODNN7EXAMPLE", SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        }, new HttpClient(), TimeProvider.System);

        var url = storage.Presign("GET", "test.txt", TimeSpan.FromSeconds(86400), new DateTime(2013, 5, 24, 0, 0, 0, DateTimeKind.Utc));

        Assert.Equal("https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z" +
            "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
            url.AbsoluteUri);
    }
}
