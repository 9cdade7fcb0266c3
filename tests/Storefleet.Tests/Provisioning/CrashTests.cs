using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Storefleet.Cluster;
using Storefleet.Secrets;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Storefleet.Tests.Provisioning;

/// <summary>
/// A real worker process (the same binary, role "worker") on PostgreSQL, killed with SIGKILL at random
/// moments while it provisions 50 stores, then restarted. The simulated cluster lives in a file so it
/// outlives the process, the way a real cluster outlives a worker.
/// </summary>
public class CrashTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task AWorkerKilledAtRandomMomentsStillBringsFiftyStoresToReadyWithoutDuplicatesOrNewPasswords()
    {
        TestServices.Require(Db.Postgres);
        var dir = Directory.CreateTempSubdirectory("storefleet-crash-").FullName;
        var stateFile = Path.Combine(dir, "cluster.json");
        await using var api = new TestApp(Db.Postgres, Engine.Fast(Db.Postgres, more: new Dictionary<string, string?>
        {
            ["Roles"] = "api",
            ["Cluster:Simulated:StateFile"] = stateFile,
        }));
        var ana = await api.ClientFor("ana@example.com");
        var stores = new List<StoreResponse>();
        for (var i = 0; i < 50; i++)
            stores.Add(await (await ana.PostJson("/stores", new { name = $"Crash {i}" })).Read<StoreResponse>(HttpStatusCode.Accepted));

        var random = new Random(20261125);
        var kills = 0;
        for (var round = 0; round < 12 && !await AllReady(api); round++)
        {
            using var worker = StartWorker(api, stateFile, dir);
            await Task.Delay(random.Next(700, 2500));
            if (worker.HasExited) Assert.Fail($"the worker exited by itself: {await File.ReadAllTextAsync(Path.Combine(dir, "worker.log"))}");
            worker.Kill(); // SIGKILL: no shutdown hooks, leases left behind, helm calls cut short
            await worker.WaitForExitAsync();
            kills++;
        }
        using (var survivor = StartWorker(api, stateFile, dir))
        {
            await api.WaitUntil(async db => await db.Stores.CountAsync(s => s.Phase == StorePhase.Ready) == 50, TimeSpan.FromSeconds(90), "all 50 stores are Ready");
            survivor.Kill();
            await survivor.WaitForExitAsync();
        }

        output.WriteLine($"worker killed {kills} times");
        Assert.True(kills >= 5, $"only {kills} kills: the test did not exercise crashes");
        var cluster = new SimulatedCluster(new SimulatedClusterOptions { StateFile = stateFile }, TimeProvider.System);
        var protector = api.Service<CredentialProtector>();
        await using var db = api.NewDb();
        foreach (var store in await db.Stores.AsNoTracking().ToListAsync())
        {
            var books = cluster.Books(store.Slug);
            Assert.True(books.NamespaceExists, $"{store.Slug}: namespace missing");
            Assert.Equal(1, books.NamespacesCreated);
            Assert.Equal(1, books.Releases);
            Assert.Equal(1, books.CredentialsCreated);
            Assert.Equal(books.AdminPassword, protector.Unprotect(store.Id, store.AdminPasswordProtected!));
        }
        Assert.Equal(50, cluster.LiveNamespaces().Count);
        Directory.Delete(dir, recursive: true);
    }

    private static async Task<bool> AllReady(TestApp api)
    {
        await using var db = api.NewDb();
        return await db.Stores.AllAsync(s => s.Phase == StorePhase.Ready);
    }

    internal static Process StartWorker(TestApp api, string stateFile, string dir)
    {
        var dll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(Path.GetDirectoryName(dll)!);
        foreach (var (key, value) in Engine.Fast(Db.Postgres))
            start.Environment[key.Replace(":", "__")] = value;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Urls"] = "http://127.0.0.1:0";
        start.Environment["Roles"] = "worker";
        start.Environment["ConnectionStrings__Storefleet"] = api.ConnectionString;
        start.Environment["Auth__SigningKey"] = TestApp.SigningKey;
        start.Environment["Secrets__EncryptionKey"] = TestApp.EncryptionKey;
        start.Environment["Cluster__Simulated__StateFile"] = stateFile;
        start.Environment["Cluster__Simulated__StepDelay"] = "00:00:00.100";
        start.Environment["Cluster__Simulated__TimeToReady"] = "00:00:02";
        start.Environment["Provisioning__Policy__PendingReleaseGrace"] = "00:00:00.500";
        start.Environment["Provisioning__Policy__ProvisioningTimeout"] = "00:05:00";
        start.Environment["Provisioning__Worker__LeaseDuration"] = "00:00:02";
        start.Environment["Provisioning__Worker__Concurrency"] = "8";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start)!;
        // Appends line by line: output can still arrive after the process was killed, so no writer is kept open.
        var log = Path.Combine(dir, "worker.log");
        var gate = new object();
        void Append(string? line)
        {
            if (line is null) return;
            lock (gate) File.AppendAllText(log, line + Environment.NewLine);
        }
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
