using System.Net.Sockets;
using Storefleet.Backups;
using Storefleet.Tests.Charts;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// An S3-compatible server of our own on loopback (s3rver, installed into .tools/s3rver by
/// `scripts/tools.sh s3`), with one bucket, started and stopped by PID. It accepts the engine's presigned
/// URLs (access key S3RVER) but does not check SigV4 signatures; S3BackupStorageTests checks the signer
/// against AWS's own published example instead.
/// </summary>
public sealed class LocalS3 : IDisposable
{
    public const string Bucket = "storefleet-backups";
    readonly LocalProcess server;
    readonly string dir;
    public int Port { get; }
    public ObjectStoreOptions Options => new()
    {
        Endpoint = $"http://127.0.0.1:{Port}", Bucket = Bucket, Region = "us-east-1", Prefix = "storefleet",
        AccessKeyId = "S3RVER", SecretAccessKey = "S3RVER", ForcePathStyle = true,
    };
    public string DataDir => Path.Combine(dir, "data");

    LocalS3(string dir, int port, LocalProcess server)
    {
        this.dir = dir;
        Port = port;
        this.server = server;
    }

    public static string Script => Path.Combine(ChartHarness.FindRepoRoot(), ".tools", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");

    public static bool Installed => File.Exists(Script);

    public static LocalS3 Start()
    {
        var dir = Directory.CreateTempSubdirectory("storefleet-s3-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        var port = LocalMariaDb.FreeLoopbackPort();
        var server = LocalProcess.Start("s3rver", "node", [Script, "-d", Path.Combine(dir, "data"), "-a", "127.0.0.1", "-p", port.ToString(),
            "--no-vhost-buckets", "--configure-bucket", Bucket], new Dictionary<string, string>());
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", port);
                return new LocalS3(dir, port, server);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !server.HasExited)
            {
                Thread.Sleep(100);
            }
            catch
            {
                server.Dispose();
                throw new InvalidOperationException($"s3rver did not start:\n{server.Output}");
            }
        }
    }

    public string Log => server.Output;

    public void Dispose()
    {
        server.Dispose();
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
