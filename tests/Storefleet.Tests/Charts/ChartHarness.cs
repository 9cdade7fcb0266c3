using System.Diagnostics;

namespace Storefleet.Tests.Charts;

/// <summary>What one helm (or other tool) run printed, and how it ended.</summary>
public sealed record ToolResult(string Command, int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>stdout and stderr together: helm prints lint findings on stdout and errors on stderr.</summary>
    public string Output => StdOut + StdErr;

    public override string ToString() => $"`{Command}` exited {ExitCode}\n{Output}";
}

/// <summary>
/// Runs the real Helm binary against a chart in this repository, as the provisioning engine does:
/// an argument array (never a shell), values in files, private Helm home directories.
/// Helm comes from <c>$HELM</c> or <c>&lt;repo&gt;/.tools/bin/helm</c> (fetched by scripts/tools.sh); when it is
/// missing every test that needs it fails and says how to get it. Reused by every chart's tests.
/// </summary>
public sealed class ChartHarness
{
    public const string InstallHint = "run `bash scripts/tools.sh helm lint` (make test does it)";

    static readonly Lazy<ChartHarness> shared = new(() => new ChartHarness());

    /// <summary>One harness per test run. Its failure (no helm) is cached, so every test reports it.</summary>
    public static ChartHarness Shared => shared.Value;

    public string RepoRoot { get; }
    public string HelmPath { get; }
    readonly string helmHome;

    public ChartHarness()
    {
        RepoRoot = FindRepoRoot();
        HelmPath = Environment.GetEnvironmentVariable("HELM") is { Length: > 0 } fromEnv
            ? fromEnv
            : Path.Combine(RepoRoot, ".tools", "bin", "helm");
        if (!File.Exists(HelmPath))
        {
            throw new InvalidOperationException($"helm not found at {HelmPath}: {InstallHint}, or point $HELM at a Helm 4 binary.");
        }
        // Private cache/config/data: no repositories or plugins of the developer's own leak in, and
        // parallel test runs do not share state.
        helmHome = Directory.CreateTempSubdirectory("storefleet-helm-").FullName;
    }

    /// <summary>The folder holding Storefleet.slnx, found by walking up from the test binaries.</summary>
    public static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Storefleet.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Storefleet.slnx above {AppContext.BaseDirectory}");
    }

    public string ChartDir(string chartName) => Path.Combine(RepoRoot, "charts", chartName);

    /// <summary>The path of an installed tool (e.g. shellcheck): <c>$NAME</c>, else PATH; fails with the install hint.</summary>
    public static string RequireTool(string name)
    {
        if (Environment.GetEnvironmentVariable(name.ToUpperInvariant()) is { Length: > 0 } fromEnv && File.Exists(fromEnv))
        {
            return fromEnv;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"{name} not found on PATH: {InstallHint}.");
    }

    public ToolResult Helm(params IEnumerable<string> args) => Run(HelmPath, args, new Dictionary<string, string>
    {
        ["HELM_CACHE_HOME"] = Path.Combine(helmHome, "cache"),
        ["HELM_CONFIG_HOME"] = Path.Combine(helmHome, "config"),
        ["HELM_DATA_HOME"] = Path.Combine(helmHome, "data"),
    });

    /// <summary><c>helm lint --strict</c> with the given values files (in order) and <c>--set</c> pairs.</summary>
    public ToolResult Lint(string chartDir, IEnumerable<string> valuesFiles, IReadOnlyDictionary<string, string>? set = null) =>
        Helm(["lint", "--strict", chartDir, .. ValuesArgs(valuesFiles, set)]);

    /// <summary><c>helm template</c>, whatever the outcome (for tests that expect a failure).</summary>
    public ToolResult TryTemplate(string chartDir, string releaseName, string ns, IEnumerable<string> valuesFiles,
        IReadOnlyDictionary<string, string>? set = null, IEnumerable<string>? extraArgs = null) =>
        Helm(["template", releaseName, chartDir, "--namespace", ns, .. ValuesArgs(valuesFiles, set), .. extraArgs ?? []]);

    /// <summary><c>helm template</c>, parsed strictly into Kubernetes API models; throws with Helm's message on failure.</summary>
    public RenderedChart Template(string chartDir, string releaseName, string ns, IEnumerable<string> valuesFiles,
        IReadOnlyDictionary<string, string>? set = null, IEnumerable<string>? extraArgs = null)
    {
        var result = TryTemplate(chartDir, releaseName, ns, valuesFiles, set, extraArgs);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"helm template failed: {result}");
        }
        return RenderedChart.Parse(result.StdOut);
    }

    static IEnumerable<string> ValuesArgs(IEnumerable<string> valuesFiles, IReadOnlyDictionary<string, string>? set)
    {
        foreach (var file in valuesFiles)
        {
            yield return "--values";
            yield return file;
        }
        foreach (var (key, value) in set ?? new Dictionary<string, string>())
        {
            yield return "--set";
            yield return $"{key}={value}";
        }
    }

    /// <summary>Runs a program with an argument list (no shell), capturing both streams; 60 s at most.</summary>
    public static ToolResult Run(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var command = string.Join(' ', [Path.GetFileName(program), .. start.ArgumentList]);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        // Read both streams concurrently: a full stderr pipe would otherwise block the child forever.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{command}` did not finish within 60 s");
        }
        return new ToolResult(command, process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
