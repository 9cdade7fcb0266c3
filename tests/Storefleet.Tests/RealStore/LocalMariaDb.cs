using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// One MariaDB server of our own, standing in for the store's MySQL StatefulSet: its own data directory,
/// its own loopback port and socket, started and stopped by PID. Like the official MySQL image's
/// entrypoint, it creates the database and user the StatefulSet's environment names.
/// </summary>
public sealed class LocalMariaDb : IDisposable
{
    readonly string dir;
    readonly LocalProcess server;
    public int Port { get; }
    public string Socket => Path.Combine(dir, "mysqld.sock");

    LocalMariaDb(string dir, int port, LocalProcess server)
    {
        this.dir = dir;
        Port = port;
        this.server = server;
    }

    public static LocalMariaDb Start(string workDir, string database, string user, string password)
    {
        var dir = Path.Combine(workDir, "mariadb");
        Directory.CreateDirectory(dir);
        // mariadbd runs as the mysql user: it must be able to enter every folder above its data.
        LocalProcess.Run("chmod", ["755", workDir], new Dictionary<string, string>(), TimeSpan.FromSeconds(10));
        LocalProcess.Run("chown", ["mysql:mysql", dir], new Dictionary<string, string>(), TimeSpan.FromSeconds(10));
        var install = LocalProcess.Run("mariadb-install-db", ["--no-defaults", $"--datadir={dir}/data", "--user=mysql",
            "--auth-root-authentication-method=socket", "--skip-test-db"], new Dictionary<string, string>(), TimeSpan.FromSeconds(60));
        if (install.ExitCode != 0) throw new InvalidOperationException($"mariadb-install-db failed: {install}");

        var port = FreeLoopbackPort();
        var server = LocalProcess.Start("mariadbd", "mariadbd", [
            "--no-defaults", $"--datadir={dir}/data", "--user=mysql", "--bind-address=127.0.0.1", $"--port={port}",
            $"--socket={dir}/mysqld.sock", $"--pid-file={dir}/mysqld.pid", "--skip-name-resolve",
            "--innodb-buffer-pool-size=64M", "--skip-log-bin"], new Dictionary<string, string>());
        var db = new LocalMariaDb(dir, port, server);
        var watch = Stopwatch.StartNew();
        while (db.Sql("SELECT 1", database: null, check: false).ExitCode != 0)
        {
            if (server.HasExited || watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                db.Dispose();
                throw new InvalidOperationException($"mariadbd did not start:\n{server.Output}");
            }
            Thread.Sleep(100);
        }
        // What the MySQL image's entrypoint does with MYSQL_DATABASE, MYSQL_USER and MYSQL_PASSWORD.
        db.Sql($"CREATE DATABASE `{database}`; CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; " +
               $"GRANT ALL ON `{database}`.* TO '{user}'@'%';", database: null);
        return db;
    }

    /// <summary>Runs SQL as root over the socket (root authenticates by socket, as the OS root user).</summary>
    public RunResult Sql(string sql, string? database, bool check = true)
    {
        List<string> args = ["--no-defaults", $"--socket={Socket}", "-uroot", "--batch", "--skip-column-names"];
        if (database is not null) args.Add(database);
        var result = LocalProcess.Run("mariadb", args, new Dictionary<string, string>(), TimeSpan.FromSeconds(30), stdin: sql);
        if (check && result.ExitCode != 0) throw new InvalidOperationException($"SQL failed: {sql}\n{result}");
        return result;
    }

    /// <summary>
    /// The whole database as text, one row per line, with what changes by itself taken out: schema without
    /// AUTO_INCREMENT counters, and the rows <paramref name="volatileRow"/> matches (sessions, transients…).
    /// </summary>
    public string Dump(string database, Func<string, bool> volatileRow)
    {
        var dump = LocalProcess.Run("mariadb-dump", ["--no-defaults", $"--socket={Socket}", "-uroot", "--skip-dump-date", "--skip-comments",
            "--skip-extended-insert", "--order-by-primary", "--skip-add-locks", "--skip-disable-keys", database],
            new Dictionary<string, string>(), TimeSpan.FromSeconds(60));
        if (dump.ExitCode != 0) throw new InvalidOperationException($"mariadb-dump failed: {dump}");
        var lines = dump.StdOut.Split('\n')
            .Select(l => Regex.Replace(l, @" AUTO_INCREMENT=\d+", ""))
            .Where(l => !volatileRow(l));
        return string.Join('\n', lines);
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => server.Dispose();
}
