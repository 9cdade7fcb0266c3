using System.Diagnostics;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Storefleet.Auth;
using Storefleet.Data;
using Storefleet.Stores;

// Storefleet benchmarks. Driven by bench/*.sh, which start PostgreSQL and the app; this tool seeds data and
// measures. Everything talks to 127.0.0.1 only and stops by itself.
//
//   seed-api  <pg-connection> <out-dir>                  100 users x 100 stores, tokens + ids for wrk
//   engine    <pg-connection> <worker-pid> <stores>      create -> Ready -> delete through one worker; stores/s, CPU per lifecycle
//   ttr       <pg-connection> <worker-pid> <stores> <s>  all created at once; time until all Ready; peak worker RSS
//   upgrade   <pg-connection> <worker-pid> <api-url> <stores> <waves>  a fleet upgrade in waves vs one store's upgrade time-to-ready
return args switch
{
    ["upgrade", var pg, var pid, var api, var n, var waves] => await UpgradeBench.Run(pg, int.Parse(pid), api, int.Parse(n), [.. waves.Split(',').Select(int.Parse)]),
    ["seed-api", var pg, var outDir] => await Bench.SeedApi(pg, outDir),
    ["engine", var pg, var pid, var n] => await Bench.Engine(pg, int.Parse(pid), int.Parse(n)),
    ["ttr", var pg, var pid, var n, var limit] => await Bench.TimeToReady(pg, int.Parse(pid), int.Parse(n), double.Parse(limit)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Storefleet.Bench seed-api <pg> <out-dir> | engine <pg> <worker-pid> <stores> | ttr <pg> <worker-pid> <stores> <limit-seconds>");
    return 2;
}

static class Bench
{
    public const string SigningKey = "bench-signing-key-bench-signing-key-0123456789";

    internal static PostgresStorefleetDb Db(string pg) => new(new DbContextOptionsBuilder<PostgresStorefleetDb>().UseNpgsql(pg).Options);

    public static async Task<int> SeedApi(string pg, string outDir)
    {
        await using (var db = Db(pg)) await db.Database.MigrateAsync();
        var now = DateTime.UtcNow;
        var users = Enumerable.Range(0, 100).Select(i => new User
        {
            Id = Guid.CreateVersion7(), Email = $"bench{i}@example.com", PasswordHash = "unused", CreatedAt = now, StoreQuota = 1000,
        }).ToList();
        var stores = new List<Store>();
        foreach (var user in users)
            for (var j = 0; j < 100; j++)
            {
                var created = now.AddSeconds(-(users.IndexOf(user) * 100 + j));
                stores.Add(new Store
                {
                    Id = Guid.CreateVersion7(), OwnerId = user.Id, Name = $"Bench {j}", Slug = $"bench-{users.IndexOf(user)}-{j}", Engine = "woocommerce",
                    ChartVersion = "0.1.0", CreatedAt = created, UpdatedAt = created, Phase = StorePhase.Ready, ReadyAt = created,
                    StorefrontUrl = $"http://bench-{j}.127.0.0.1.nip.io/", AdminUrl = $"http://bench-{j}.127.0.0.1.nip.io/wp-admin/",
                    Conditions = [new StoreCondition { Type = "Ready", Status = "True", Reason = "StoreReady", Message = "The storefront and admin are up.", LastTransitionTime = created }],
                });
            }
        await using (var db = Db(pg))
        {
            db.Users.AddRange(users);
            db.Stores.AddRange(stores);
            await db.SaveChangesAsync();
        }
        var issuer = new TokenIssuer(new AuthOptions { TokenLifetime = TimeSpan.FromHours(2) }, new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey)));
        Directory.CreateDirectory(outDir);
        // One line per store: "<token> <store id>", so a wrk request is always by the store's owner.
        var tokens = users.ToDictionary(u => u.Id, u => issuer.Issue(u, DateTime.UtcNow).Token);
        await File.WriteAllLinesAsync(Path.Combine(outDir, "requests.txt"), stores.Select(s => $"{tokens[s.OwnerId]} {s.Id}"));
        Console.WriteLine($"seeded {users.Count} users and {stores.Count} stores");
        return 0;
    }

    /// <summary>Inserts stores as the API does, waits until the worker made them all Ready, requests deletion, waits until all are gone.</summary>
    public static async Task<int> Engine(string pg, int workerPid, int count)
    {
        var owner = await EnsureOwner(pg);
        var tx0 = await Scalar(pg, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()");
        var cpu0 = CpuSeconds(workerPid);
        var clock = Stopwatch.StartNew();
        var prefix = $"eng{DateTime.UtcNow:HHmmss}";
        var ids = await InsertStores(pg, owner, count, prefix);
        await WaitUntil(pg, $"SELECT count(*) FROM \"Stores\" WHERE \"Phase\" = 'Ready' AND \"Slug\" LIKE '{prefix}-%'", count, TimeSpan.FromMinutes(5), "Ready");
        var readyAt = clock.Elapsed;
        await Execute(pg, """
            UPDATE "Stores" SET "DeletionRequestedAt" = now(), "Phase" = 'Deleting', "Generation" = "Generation" + 1, "DueAt" = now(), "UpdatedAt" = now()
            WHERE "Slug" LIKE '{prefix}-%'; SELECT pg_notify('storefleet_queue', 'bench');
            """.Replace("{prefix}", prefix));
        await WaitUntil(pg, $"SELECT count(*) FROM \"Stores\" WHERE \"Slug\" LIKE '{prefix}-%'", 0, TimeSpan.FromMinutes(5), "deleted");
        var total = clock.Elapsed;
        var cpu = CpuSeconds(workerPid) - cpu0;
        var transactions = await Scalar(pg, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()") - tx0;
        Console.WriteLine($"stores: {count}");
        Console.WriteLine($"create->Ready: {readyAt.TotalSeconds:0.00} s; create->Ready->deleted: {total.TotalSeconds:0.00} s");
        Console.WriteLine($"throughput: {count / total.TotalSeconds:0.0} store lifecycles/s");
        Console.WriteLine($"worker CPU: {cpu:0.00} s total, {cpu * 1000 / count:0.00} ms per store lifecycle");
        Console.WriteLine($"database transactions: {transactions / (double)count:0.0} per store lifecycle (all clients; approximate: PostgreSQL publishes its counters about once a second)");
        return 0;
    }

    public static async Task<int> TimeToReady(string pg, int workerPid, int count, double limitSeconds)
    {
        var owner = await EnsureOwner(pg);
        var peakRss = 0L;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, RssBytes(workerPid));
                await Task.Delay(200);
            }
        });
        var clock = Stopwatch.StartNew();
        await InsertStores(pg, owner, count, "ttr");
        await WaitUntil(pg, $"SELECT count(*) FROM \"Stores\" WHERE \"Phase\" = 'Ready' AND \"Slug\" LIKE 'ttr-%'", count, TimeSpan.FromSeconds(limitSeconds * 2), "Ready");
        var allReady = clock.Elapsed;
        await sampling.CancelAsync();
        await sampler;
        Console.WriteLine($"stores: {count}");
        Console.WriteLine($"all Ready after: {allReady.TotalSeconds:0.0} s (target <= {limitSeconds:0} s)");
        Console.WriteLine($"worker peak RSS: {peakRss / 1024.0 / 1024.0:0} MB (target <= 300 MB)");
        return allReady.TotalSeconds <= limitSeconds ? 0 : 1;
    }

    internal static async Task<Guid> EnsureOwner(string pg)
    {
        await using var db = Db(pg);
        var owner = await db.Users.FirstOrDefaultAsync(u => u.Email == "engine-bench@example.com");
        if (owner is not null) return owner.Id;
        owner = new User { Id = Guid.CreateVersion7(), Email = "engine-bench@example.com", PasswordHash = "unused", CreatedAt = DateTime.UtcNow, StoreQuota = 100_000 };
        db.Users.Add(owner);
        await db.SaveChangesAsync();
        return owner.Id;
    }

    internal static async Task<List<Guid>> InsertStores(string pg, Guid owner, int count, string prefix)
    {
        var now = DateTime.UtcNow;
        var stores = Enumerable.Range(0, count).Select(i => new Store
        {
            Id = Guid.CreateVersion7(), OwnerId = owner, Name = $"{prefix} {i}", Slug = $"{prefix}-{i}", Engine = "woocommerce", ChartVersion = "0.1.0",
            CreatedAt = now, UpdatedAt = now, Phase = StorePhase.Pending, DueAt = now,
        }).ToList();
        await using (var db = Db(pg))
        {
            db.Stores.AddRange(stores);
            await db.SaveChangesAsync();
        }
        await Execute(pg, "SELECT pg_notify('storefleet_queue', 'bench')");
        return [.. stores.Select(s => s.Id)];
    }

    internal static async Task WaitUntil(string pg, string countSql, int expected, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        await using var conn = new NpgsqlConnection(pg);
        await conn.OpenAsync();
        while (true)
        {
            await using var cmd = new NpgsqlCommand(countSql, conn);
            var n = Convert.ToInt32(await cmd.ExecuteScalarAsync());
            if (n == expected) return;
            if (clock.Elapsed > timeout) throw new TimeoutException($"only {n} of {expected} {what} after {timeout}");
            await Task.Delay(100);
        }
    }

    internal static async Task<long> Scalar(string pg, string sql)
    {
        await using var conn = new NpgsqlConnection(pg);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    internal static async Task Execute(string pg, string sql)
    {
        await using var conn = new NpgsqlConnection(pg);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>utime + stime of a process, from /proc/PID/stat, in seconds.</summary>
    internal static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0; // USER_HZ = 100
    }

    private static long RssBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
