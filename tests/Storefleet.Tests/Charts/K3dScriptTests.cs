using System.Text.RegularExpressions;

namespace Storefleet.Tests.Charts;

/// <summary>
/// scripts/k3d-up.sh and scripts/k3d-down.sh, as far as a machine without Docker can run them: argument
/// parsing, the image tag rule (in a throwaway git repository) and --dry-run, which must print every
/// command and run none (docker, k3d, kubectl, helm and curl are stubs here that fail if called).
/// </summary>
public partial class K3dScriptTests
{
    static string Up => Path.Combine(PlatformChart.Repo, "scripts", "k3d-up.sh");
    static string Down => Path.Combine(PlatformChart.Repo, "scripts", "k3d-down.sh");

    [Theory]
    [InlineData("k3d-up.sh")]
    [InlineData("k3d-down.sh")]
    public void TheScriptsPassShellcheck(string script)
    {
        var result = ChartHarness.Run(ChartHarness.RequireTool("shellcheck"), ["--severity=style", Path.Combine(PlatformChart.Repo, "scripts", script)]);

        Assert.True(result.Succeeded, result.ToString());
    }

    [Theory]
    [InlineData("k3d-up.sh")]
    [InlineData("k3d-down.sh")]
    public void HelpSaysTheyNeedDockerAndCannotRunOnCi(string script)
    {
        var result = ChartHarness.Run("bash", [Path.Combine(PlatformChart.Repo, "scripts", script), "--help"]);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("Docker", result.StdOut);
        Assert.Contains("cannot run", result.StdOut);
    }

    [Theory]
    [InlineData("k3d-up.sh", "--dryrun")]
    [InlineData("k3d-up.sh", "sideways")]
    [InlineData("k3d-down.sh", "--force")]
    public void AnUnknownArgumentIsRefusedWithTheUsage(string script, string argument)
    {
        var result = ChartHarness.Run("bash", [Path.Combine(PlatformChart.Repo, "scripts", script), argument]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"unknown argument '{argument}'", result.StdErr);
        Assert.Contains("Usage:", result.StdErr);
    }

    /// <summary>A directory of stubs named like the cluster tools: each one records that it was called and fails.</summary>
    sealed class ToolStubs : IDisposable
    {
        public string Dir { get; } = Directory.CreateTempSubdirectory("k3d-stubs-").FullName;
        public string CallLog => Path.Combine(Dir, "calls.log");

        public ToolStubs()
        {
            foreach (var tool in new[] { "docker", "k3d", "kubectl", "helm", "curl" })
            {
                var path = Path.Combine(Dir, tool);
                File.WriteAllText(path, $"#!/bin/sh\necho \"{tool} $*\" >> \"{CallLog}\"\nexit 97\n");
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        public Dictionary<string, string> Env(Dictionary<string, string>? more = null)
        {
            var env = new Dictionary<string, string> { ["PATH"] = $"{Dir}:{Environment.GetEnvironmentVariable("PATH")}" };
            foreach (var (k, v) in more ?? []) env[k] = v;
            return env;
        }

        public string Calls => File.Exists(CallLog) ? File.ReadAllText(CallLog) : "";

        public void Dispose() => Directory.Delete(Dir, recursive: true);
    }

    [Fact]
    public void ADryRunPrintsEveryCommandWithThePinnedK3sAndTheCommitsTagAndRunsNone()
    {
        using var stubs = new ToolStubs();
        var tag = ChartHarness.Run("bash", [Up, "--print-tag"]).StdOut.Trim();

        var result = ChartHarness.Run("bash", [Up, "--dry-run"], stubs.Env());

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("", stubs.Calls);
        var commands = (result.StdOut + result.StdErr).Split('\n').Where(l => l.StartsWith("+ ", StringComparison.Ordinal)).Select(l => l[2..]).ToList();
        string Single(string prefix) => Assert.Single(commands, c => c.StartsWith(prefix, StringComparison.Ordinal));

        // k3s pinned to a release the platform supports (>= 1.30), not whatever k3d defaults to.
        var create = Single("k3d cluster create storefleet ");
        var k3s = Regex.Match(create, @"--image rancher/k3s:v1\.(\d+)\.(\d+)-k3s\d+ ");
        Assert.True(k3s.Success, create);
        Assert.True(int.Parse(k3s.Groups[1].Value) >= 30, create);
        Assert.Contains("--port 80:80@loadbalancer --port 443:443@loadbalancer", create);
        // Each component is waited for, one by one.
        foreach (var component in new[] { "deployment/coredns", "deployment/traefik", "statefulset/storefleet-postgresql", "deployment/storefleet-redis",
                     "deployment/storefleet-api", "deployment/storefleet-worker", "deployment/storefleet-dashboard" })
            Assert.Contains(commands, c => c.Contains($"rollout status {component} ", StringComparison.Ordinal));
        // Images tagged from the commit, imported, and deployed with that tag (so that pods roll).
        Assert.Contains($"-t storefleet/platform:{tag} ", Single("env DOCKER_BUILDKIT=1 docker build -f " + Path.Combine(PlatformChart.Repo, "images/platform/Dockerfile")));
        Assert.Contains($"-t storefleet/dashboard:{tag} ", Single("env DOCKER_BUILDKIT=1 docker build -f " + Path.Combine(PlatformChart.Repo, "images/dashboard/Dockerfile")));
        Assert.EndsWith($"storefleet/platform:{tag} storefleet/dashboard:{tag}", Single("k3d image import --cluster storefleet "));
        var helm = Single("helm --kube-context k3d-storefleet upgrade --install storefleet ");
        Assert.Contains("--values " + Path.Combine(PlatformChart.Repo, "charts/storefleet/values-local.yaml"), helm);
        Assert.Contains($"--set image.tag={tag} --set dashboard.image.tag={tag}", helm);
        Assert.DoesNotContain("--wait", helm);
        // Every kubectl call names the cluster's context: the user's current context is never used.
        Assert.All(commands.Where(c => c.StartsWith("kubectl ", StringComparison.Ordinal)), c => Assert.StartsWith("kubectl --context k3d-storefleet ", c));
        Assert.Contains("none was run", result.StdOut);
    }

    [Fact]
    public void TheDryRunHonoursTheEnvironment()
    {
        using var stubs = new ToolStubs();

        var result = ChartHarness.Run("bash", [Up, "--dry-run"], stubs.Env(new() { ["CLUSTER"] = "demo", ["NAMESPACE"] = "sf", ["K3S_IMAGE"] = "rancher/k3s:v1.32.1-k3s1", ["IMAGE_TAG"] = "0.1.0-test" }));

        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("+ k3d cluster create demo --image rancher/k3s:v1.32.1-k3s1 ", result.StdOut);
        Assert.Contains("-t storefleet/platform:0.1.0-test ", result.StdOut);
        Assert.Contains("+ helm --kube-context k3d-demo upgrade --install storefleet ", result.StdOut);
        Assert.Contains(" --namespace sf ", result.StdOut);
    }

    [Fact]
    public void DownDryRunDeletesTheClusterAndUpDownDelegatesToIt()
    {
        using var stubs = new ToolStubs();

        var down = ChartHarness.Run("bash", [Down, "--dry-run"], stubs.Env());
        var viaUp = ChartHarness.Run("bash", [Up, "down", "--dry-run"], stubs.Env(new() { ["CLUSTER"] = "demo" }));

        Assert.True(down.Succeeded, down.ToString());
        Assert.Contains("+ k3d cluster delete storefleet", down.StdOut);
        Assert.Contains("+ k3d cluster delete demo", viaUp.StdOut);
        Assert.Equal("", stubs.Calls);
    }

    [GeneratedRegex(@"^0\.1\.0-[0-9a-f]{12}$")]
    private static partial Regex CleanTag();

    [GeneratedRegex(@"^0\.1\.0-[0-9a-f]{12}-dirty-[0-9a-f]{8}$")]
    private static partial Regex DirtyTag();

    [Fact]
    public void TheTagIsTheCommitAndUncommittedChangesAddAHashOfThemselves()
    {
        // A throwaway checkout with the script and the chart's Chart.yaml (the tag's version part).
        var repo = Directory.CreateTempSubdirectory("k3d-tag-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(repo, "scripts"));
            Directory.CreateDirectory(Path.Combine(repo, "charts", "storefleet"));
            File.Copy(Up, Path.Combine(repo, "scripts", "k3d-up.sh"));
            File.Copy(Path.Combine(PlatformChart.Repo, "charts", "storefleet", "Chart.yaml"), Path.Combine(repo, "charts", "storefleet", "Chart.yaml"));
            File.WriteAllText(Path.Combine(repo, "app.txt"), "one\n");
            File.WriteAllText(Path.Combine(repo, ".gitignore"), "obj/\n");
            Git(repo, "init", "-q");
            Git(repo, "add", "-A");
            Git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "first");
            var sha = Git(repo, "rev-parse", "--short=12", "HEAD");
            string Tag() => ChartHarness.Run("bash", [Path.Combine(repo, "scripts", "k3d-up.sh"), "--print-tag"]).StdOut.Trim();

            var clean = Tag();
            Directory.CreateDirectory(Path.Combine(repo, "obj"));
            File.WriteAllText(Path.Combine(repo, "obj", "project.assets.json"), "{}");   // ignored build output
            var withBuildOutput = Tag();
            File.WriteAllText(Path.Combine(repo, "app.txt"), "two\n");
            var edited = Tag();
            var editedAgain = Tag();
            File.WriteAllText(Path.Combine(repo, "app.txt"), "three\n");
            var editedDifferently = Tag();
            File.WriteAllText(Path.Combine(repo, "app.txt"), "one\n");
            File.WriteAllText(Path.Combine(repo, "new.txt"), "untracked\n");
            var untracked = Tag();
            File.Delete(Path.Combine(repo, "new.txt"));
            var cleanAgain = Tag();

            Assert.Matches(CleanTag(), clean);
            Assert.Equal($"0.1.0-{sha}", clean);
            Assert.Equal(clean, withBuildOutput);   // git-ignored files do not make a checkout dirty
            Assert.Matches(DirtyTag(), edited);
            Assert.StartsWith(clean + "-dirty-", edited);
            Assert.Equal(edited, editedAgain);      // the same changes: the same tag, nothing rolls
            Assert.NotEqual(edited, editedDifferently);
            Assert.Matches(DirtyTag(), untracked);
            Assert.Equal(clean, cleanAgain);
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    static string Git(string repo, params string[] args)
    {
        var result = ChartHarness.Run("git", ["-C", repo, .. args]);
        Assert.True(result.Succeeded, result.ToString());
        return result.StdOut.Trim();
    }
}
