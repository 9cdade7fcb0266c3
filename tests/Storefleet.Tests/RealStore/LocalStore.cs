using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// One store run as plain processes on loopback, from the rendered chart: MariaDB for the MySQL
/// StatefulSet, <c>php -S</c> (uid 33, 4 workers, a router standing in for Apache's rewrite rules) for the
/// WordPress Deployment, and the Job's and CronJob's own commands run unmodified as uid 33 in a private
/// mount namespace that puts the pod's paths where the scripts expect them: the WordPress tree at
/// /var/www/html, the setup ConfigMap at /scripts, WP-CLI at /usr/local/bin/wp and a private /tmp.
/// Only the cluster addresses differ from the pod (<see cref="Adaptations"/>).
/// </summary>
public sealed class LocalStore : IDisposable
{
    public RenderedStore Rendered { get; }
    public LocalMariaDb Db { get; }
    public string WorkDir { get; }
    public string Tree { get; }
    public int WordPressPort { get; }
    public string ServiceUrl => $"http://127.0.0.1:{WordPressPort}";
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Secrets { get; }
    public IReadOnlyDictionary<string, string> Adaptations { get; }
    readonly string scriptsDir, binDir, tmpDir, phpConfDir;
    LocalProcess? server;

    public string Database => Rendered.DatabaseEnv("MYSQL_DATABASE");

    public LocalStore(RenderedStore rendered, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> secrets,
        string? databasePasswordOverride = null, Action<string>? prepareTree = null)
    {
        Rendered = rendered;
        Secrets = secrets;
        WorkDir = Directory.CreateTempSubdirectory("storefleet-real-store-").FullName;
        var credentials = secrets[rendered.SetupContainer.Env.First(e => e.Name == "WORDPRESS_DB_PASSWORD").ValueFrom.SecretKeyRef.Name];
        var password = credentials["db-password"];
        Assert.Matches("^[A-Za-z0-9]+$", password);   // safe inside the CREATE USER literal below
        // The StatefulSet's own environment names the database and user, as the MySQL image reads them.
        Db = LocalMariaDb.Start(WorkDir, Rendered.DatabaseEnv("MYSQL_DATABASE"), Rendered.DatabaseEnv("MYSQL_USER"), databasePasswordOverride ?? password);
        try
        {
            WordPressPort = LocalMariaDb.FreeLoopbackPort();
            Adaptations = new Dictionary<string, string>
            {
                ["WORDPRESS_DB_HOST"] = $"127.0.0.1:{Db.Port}",
                ["WORDPRESS_SERVICE_URL"] = ServiceUrl,
            };

            Tree = Path.Combine(WorkDir, "html");
            Sh("cp", "-a", RealStoreKit.PristineTree, Tree);
            prepareTree?.Invoke(Tree);
            WriteWpConfig();
            scriptsDir = Dir("scripts");
            foreach (var (name, content) in rendered.SetupConfigMap.Data)
            {
                File.WriteAllText(Path.Combine(scriptsDir, name), content);
            }
            binDir = Dir("bin");
            File.Copy(Path.Combine(RealStoreKit.KitDir, "wp-cli-2.10.0.phar"), Path.Combine(binDir, "wp"));
            Sh("chmod", "755", Path.Combine(binDir, "wp"));
            tmpDir = Dir("tmp");
            phpConfDir = Dir("php-conf.d");
            MountConfigMapFiles(rendered.WordPress.Spec.Template.Spec, rendered.WordPressContainer);
            Sh("chown", "-R", "33:33", Tree, tmpDir);
            Sh("chmod", "1777", tmpDir);
            foreach (var mountPoint in new[] { "/var/www/html", "/scripts" }) Directory.CreateDirectory(mountPoint);
            File.WriteAllText(Path.Combine(WorkDir, "router.php"), Router);
        }
        catch
        {
            Dispose();   // MariaDB is running: stop it before giving up
            throw;
        }
    }

    string Dir(string name)
    {
        var dir = Path.Combine(WorkDir, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// What the image's entrypoint does on first start: wp-config.php from wp-config-docker.php, with its
    /// placeholder keys replaced by random ones (the pods get theirs from the Secret through the environment).
    /// </summary>
    void WriteWpConfig()
    {
        var lines = File.ReadAllLines(Path.Combine(RealStoreKit.KitDir, "wp-config-docker.php"))
            .Select(l => l.Contains("put your unique phrase here") ? l.Replace("put your unique phrase here", RealStoreKit.Random(20)) : l);
        File.WriteAllLines(Path.Combine(Tree, "wp-config.php"), lines);
    }

    /// <summary>Files a container gets from ConfigMaps by subPath: into the tree (mu-plugins) or PHP's ini directory.</summary>
    void MountConfigMapFiles(V1PodSpec pod, V1Container container)
    {
        foreach (var mount in container.VolumeMounts ?? [])
        {
            var volume = pod.Volumes.Single(v => v.Name == mount.Name);
            if (volume.ConfigMap is null || mount.SubPath is null) continue;
            var content = Rendered.ConfigMap(volume.ConfigMap.Name).Data[mount.SubPath];
            if (mount.MountPath.StartsWith("/var/www/html/", StringComparison.Ordinal))
            {
                var target = Path.Combine(Tree, mount.MountPath["/var/www/html/".Length..]);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllText(target, content);
            }
            else if (mount.MountPath.StartsWith("/usr/local/etc/php/conf.d/", StringComparison.Ordinal))
            {
                File.WriteAllText(Path.Combine(phpConfDir, Path.GetFileName(mount.MountPath)), content);
            }
            // /etc/apache2/*: Apache's own configuration; php -S stands in for Apache here.
        }
    }

    /// <summary>The WordPress container's environment (Secrets resolved, cluster addresses adapted).</summary>
    public Dictionary<string, string> WordPressEnv => RenderedStore.Environment(Rendered.WordPressContainer, Secrets, Adaptations);
    public Dictionary<string, string> SetupEnv => RenderedStore.Environment(Rendered.SetupContainer, Secrets, Adaptations);

    /// <summary>Serves the tree like the WordPress pod: php -S as uid 33 with the Deployment's environment.</summary>
    public void StartWordPress()
    {
        var env = WordPressEnv;
        env["PHP_CLI_SERVER_WORKERS"] = "4";
        // A leading ':' keeps Debian's own ini directory (the extensions) and adds the chart's.
        env["PHP_INI_SCAN_DIR"] = ":" + phpConfDir;
        server = LocalProcess.Start("php -S", "unshare", [
            "--mount", "--propagation", "private", "/bin/sh", "-c",
            "mount --bind \"$1\" /var/www/html && shift && exec setpriv --reuid=33 --regid=33 --init-groups \"$@\"",
            "sh", Tree, "php", "-S", $"127.0.0.1:{WordPressPort}", "-t", "/var/www/html", Path.Combine(WorkDir, "router.php")], env);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", WordPressPort);
                return;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(10) && !server.HasExited)
            {
                Thread.Sleep(100);
            }
        }
    }

    public string ServerLog => server?.Output ?? "";

    /// <summary>
    /// Runs a container's own command, unmodified, as uid 33 with the pod's paths in place; stdout and stderr
    /// merged in order, as <c>kubectl logs</c> shows them.
    /// </summary>
    public RunResult RunContainer(V1Container container, Dictionary<string, string> env, TimeSpan timeout)
    {
        List<string> command = [.. container.Command ?? [], .. container.Args ?? []];
        return InNamespace(command, env, timeout);
    }

    public RunResult RunSetup(TimeSpan? timeout = null) => RunContainer(Rendered.SetupContainer, SetupEnv, timeout ?? TimeSpan.FromSeconds(120));

    /// <summary>
    /// The backup or restore Job the engine creates: the chart template's container, its environment, and the
    /// variables the engine adds (<see cref="Storefleet.Cluster.BackupJob.Environment"/>, <see cref="Storefleet.Cluster.RestoreJob.Environment"/>).
    /// </summary>
    public RunResult RunJob(string kind, IReadOnlyDictionary<string, string> engineEnv, TimeSpan? timeout = null)
    {
        var container = Rendered.JobContainer(kind);
        var env = RenderedStore.Environment(container, Secrets, Adaptations);
        foreach (var (name, value) in engineEnv) env[name] = value;
        return RunContainer(container, env, timeout ?? TimeSpan.FromSeconds(300));
    }

    /// <summary>WP-CLI as the setup container runs it, for assertions.</summary>
    public string Wp(params string[] args)
    {
        var result = InNamespace(["php", "-d", "memory_limit=512M", "/usr/local/bin/wp", "--path=/var/www/html", .. args], SetupEnv, TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0) throw new InvalidOperationException($"wp {string.Join(' ', args)}: {result}");
        return result.StdOut.Trim();
    }

    /// <summary>PHP evaluated with WordPress and WooCommerce loaded (wp eval), returning what it prints.</summary>
    public string Eval(string php) => Wp("eval", php);

    RunResult InNamespace(IReadOnlyList<string> command, Dictionary<string, string> env, TimeSpan timeout) =>
        LocalProcess.Run("unshare", [
            "--mount", "--propagation", "private", "/bin/sh", "-c",
            "set -e; mount --bind \"$1\" /var/www/html; mount --bind \"$2\" /scripts; mount --bind \"$3\" /usr/local/bin; " +
            "mount --bind \"$4\" /tmp; shift 4; exec setpriv --reuid=33 --regid=33 --init-groups \"$@\" 2>&1",
            "sh", Tree, scriptsDir, binDir, tmpDir, .. command], env, timeout);

    static void Sh(string program, params string[] args)
    {
        var result = LocalProcess.Run(program, args, new Dictionary<string, string>(), TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {result}");
    }

    /// <summary>Apache + the image's .htaccess, in PHP: existing files as they are, everything else to index.php.</summary>
    const string Router = """
        <?php
        $path = urldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
        $file = $_SERVER['DOCUMENT_ROOT'] . $path;
        if ($path !== '/' && (is_file($file) || is_file(rtrim($file, '/') . '/index.php'))) {
            return false;
        }
        $_SERVER['SCRIPT_NAME'] = '/index.php';
        $_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
        require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
        """;

    public void Dispose()
    {
        server?.Dispose();
        Db.Dispose();
        try { Directory.Delete(WorkDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static string Redact(string text, IEnumerable<string> secrets) =>
        secrets.Where(s => s.Length >= 8).Aggregate(text, (t, s) => t.Replace(s, "***", StringComparison.Ordinal));

    public static string FirstLines(string text, int n) => string.Join('\n', text.Split('\n').Take(n));

    public static bool Matches(string text, string pattern) => Regex.IsMatch(text, pattern);
}
