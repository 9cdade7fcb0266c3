using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Storefleet.Tests.Charts;

/// <summary>
/// The images build from a checkout that has been used (make run / make test leave obj/, bin/,
/// node_modules, .next behind), as scripts/k3d-up.sh builds them. No container engine runs here, so
/// the build stages' own instructions run on this machine against the build context Docker would send
/// (<see cref="DockerStageRun"/>): the root .dockerignore applied with Docker's pattern rules.
/// </summary>
public class ImageBuildTests
{
    internal static string Repo => PlatformChart.Repo;
    internal static string Dockerfile(string image) => Path.Combine(Repo, "images", image, "Dockerfile");

    /// <summary>What BuildKit sets TARGETARCH to on this machine.</summary>
    internal static string HostArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => throw new PlatformNotSupportedException($"no TARGETARCH for {other}"),
    };

    [Theory]
    [InlineData("bin", "bin/x", true)]
    [InlineData("bin/", "bin/x", true)]
    [InlineData("bin", "src/app/bin/x", false)]            // a plain name is only the context root's
    [InlineData("**/bin", "src/app/bin/Debug/a.dll", true)]
    [InlineData("**/bin", "bin/a.dll", true)]              // "**/" also matches no directory at all
    [InlineData("**/bin", "src/binder/a.cs", false)]
    [InlineData("*.trx", "TestResults/a.trx", false)]      // '*' stops at '/'
    [InlineData("**/*.trx", "TestResults/a.trx", true)]
    [InlineData("/.git", ".git/HEAD", true)]               // a leading '/' is the context root
    [InlineData("dashboard/out", "dashboard/out/index.html", true)]
    [InlineData("dashboard/out", "dashboard/output.ts", false)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "a/c", false)]
    public void TheMatcherFollowsDockersPatternRules(string pattern, string path, bool excluded)
    {
        Assert.Equal(excluded, new DockerIgnore([pattern]).Excludes(path));
    }

    [Fact]
    public void TheLastMatchingPatternWinsAndAnExceptionReincludes()
    {
        var ignore = new DockerIgnore(["# comment", "", "**/*.md", "!README.md", "docs"]);

        Assert.True(ignore.Excludes("charts/x/README.md"));
        Assert.False(ignore.Excludes("README.md"));
        Assert.True(ignore.Excludes("docs/README.md"));
        Assert.False(ignore.SkipsDirectory("docs"));   // an exception exists: Docker walks into excluded directories
    }

    [Theory]
    [InlineData("src/Storefleet/obj/project.assets.json")]
    [InlineData("src/Storefleet/bin/Debug/net10.0/Storefleet.dll")]
    [InlineData("tests/Storefleet.Tests/obj/project.assets.json")]
    [InlineData("dashboard/node_modules/next/package.json")]
    [InlineData("dashboard/.next/BUILD_ID")]
    [InlineData("dashboard/out/index.html")]
    [InlineData(".git/HEAD")]
    [InlineData(".data/storefleet.db")]
    [InlineData(".data/signing-key")]
    [InlineData(".tools/bin/helm")]
    [InlineData("TestResults/run.trx")]
    [InlineData("dashboard/.env.local")]
    public void TheDockerignoreKeepsAUsedCheckoutsLeftoversOutOfTheContext(string path)
    {
        Assert.True(DockerIgnore.Load(Repo).Excludes(path), $"{path} would be sent to the image build");
    }

    [Theory]
    [InlineData("platform")]
    [InlineData("dashboard")]
    [InlineData("woocommerce")]
    public void EverythingADockerfileCopiesIsInTheContext(string image)
    {
        var ignore = DockerIgnore.Load(Repo);
        var sources = DockerStageRun.Stages(Dockerfile(image)).SelectMany(s => s.Instructions)
            .Where(i => i.Keyword is "COPY" or "ADD" && !i.Arguments.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1].Where(w => !w.StartsWith("--", StringComparison.Ordinal)))
            .Where(s => !s.Contains("://", StringComparison.Ordinal));

        Assert.All(sources, source =>
        {
            Assert.True(File.Exists(Path.Combine(Repo, source)) || Directory.Exists(Path.Combine(Repo, source)), $"{source} is not in the repository");
            Assert.False(ignore.Excludes(source.Trim('/')), $"{source} is excluded by .dockerignore");
        });
    }

    [Theory]
    [InlineData("platform")]
    [InlineData("dashboard")]
    [InlineData("woocommerce")]
    public void EveryStageThatUsesTargetArchTakesItFromTheBuilder(string image)
    {
        // A default (ARG TARGETARCH=amd64) wins over BuildKit's value: on arm64 the build would mix
        // architectures. A stage that uses it declares it bare and refuses an empty value.
        foreach (var (name, instructions) in DockerStageRun.Stages(Dockerfile(image)))
        {
            Assert.DoesNotContain(instructions, i => i.Keyword == "ARG" && i.Arguments.StartsWith("TARGETARCH=", StringComparison.Ordinal));
            var uses = instructions.Where(i => i.Keyword != "ARG" && i.Arguments.Contains("TARGETARCH", StringComparison.Ordinal)).ToList();
            if (uses.Count == 0) continue;
            Assert.Contains(instructions, i => i is { Keyword: "ARG", Arguments: "TARGETARCH" });
            // The first use checks it (an ADD of a URL built from it would fail first, with a 404).
            Assert.True(uses[0].Keyword == "RUN" && uses[0].Arguments.Contains("TARGETARCH is empty", StringComparison.Ordinal),
                $"stage {name}: the first use of TARGETARCH must refuse an empty value with a message");
        }
    }

    [Fact]
    public void ThePlatformBuildRefusesAnEmptyTargetArchWithAMessage()
    {
        using var run = new DockerStageRun(Repo, "/src", "/app");
        var build = DockerStageRun.Stages(Dockerfile("platform")).Single(s => s.Name == "build").Instructions;
        // Up to and including the restore: the legacy builder leaves TARGETARCH empty.
        var untilRestore = build.Take(build.FindIndex(i => i.Keyword == "RUN") + 1);

        var result = run.Execute(untilRestore, new Dictionary<string, string> { ["TARGETARCH"] = "" }, TimeSpan.FromSeconds(30));

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("TARGETARCH is empty: build with BuildKit", result.StdErr);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// The two image builds use both cores for a minute or more: they run on their own, after the parallel
/// tests, so that they never slow down the timing-sensitive engine tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ImageBuildCollection
{
    public const string Name = "Image builds (run alone)";
}

/// <summary>The platform image's build stage (restore for the target runtime, publish) from a used checkout.</summary>
[Collection(ImageBuildCollection.Name)]
public class PlatformImageBuildTests
{
    static string Repo => ImageBuildTests.Repo;
    static string Dockerfile(string image) => ImageBuildTests.Dockerfile(image);
    static string HostArch => ImageBuildTests.HostArch;

    [Fact]
    public void ThePlatformImageRestoresAndPublishesFromAUsedCheckout()
    {
        // The used checkout: this test project's build restored src/Storefleet for the host (no RID).
        var hostAssets = Path.Combine(Repo, "src", "Storefleet", "obj", "project.assets.json");
        Assert.True(File.Exists(hostAssets), "expected the host's obj/project.assets.json (the test project builds src/Storefleet)");
        using var run = new DockerStageRun(Repo, "/src", "/app");
        var build = DockerStageRun.Stages(Dockerfile("platform")).Single(s => s.Name == "build").Instructions;

        var result = run.Execute(build, new Dictionary<string, string> { ["TARGETARCH"] = HostArch }, TimeSpan.FromMinutes(5));

        Assert.True(result.Succeeded, result.ToString());
        var rid = HostArch == "amd64" ? "linux-x64" : "linux-arm64";
        // The publish used the image's own restore, for the target runtime, not the host's.
        Assert.Contains($"\"net10.0/{rid}\"", File.ReadAllText(run.HostPath("/src/src/Storefleet/obj/project.assets.json")));
        Assert.False(Directory.Exists(run.HostPath("/src/src/Storefleet/bin/Debug")), "host bin/ reached the build context");
        Assert.True(File.Exists(run.HostPath("/app/Storefleet.dll")));
        Assert.True(File.Exists(run.HostPath("/app/appsettings.json")));
        Assert.False(File.Exists(run.HostPath("/app/appsettings.Development.json")), "the Development settings (a well-known admin password) must not ship");
        Assert.False(File.Exists(run.HostPath("/app/Storefleet")), "framework-dependent without an apphost");
        Assert.NotEmpty(Directory.GetFiles(run.HostPath("/app"), "libe_sqlite3.so", SearchOption.AllDirectories));
    }
}

/// <summary>
/// The dashboard image's build stage (npm ci, next build, prune) from a used checkout, then its CMD from
/// the shipped files.
/// </summary>
[Collection(ImageBuildCollection.Name)]
public class DashboardImageBuildTests
{
    static string Repo => ImageBuildTests.Repo;
    static string Dockerfile(string image) => ImageBuildTests.Dockerfile(image);
    static int FreePort() => ImageBuildTests.FreePort();

    [Fact]
    public async Task TheDashboardImageInstallsBuildsAndStartsFromAUsedCheckout()
    {
        // The used checkout: the dashboard's dependencies installed on the host, the way make run and the
        // dashboard tests leave them (the project's own idempotent install; nothing new when present).
        var dashboard = Path.Combine(Repo, "dashboard");
        var deps = DockerStageRun.Shell("exec bash -c '. scripts/deps.sh && ensure_deps'", dashboard, TimeSpan.FromMinutes(5));
        Assert.True(deps.Succeeded, deps.ToString());
        Assert.True(File.Exists(Path.Combine(dashboard, "node_modules", ".storefleet-lock-hash")));
        using var run = new DockerStageRun(Repo, "/src", "/out");
        var build = DockerStageRun.Stages(Dockerfile("dashboard")).Single(s => s.Name == "build").Instructions;

        // npm's cache on this machine stands in for the registry (the lockfile pins every tarball).
        var result = run.Execute(build, new Dictionary<string, string>(), TimeSpan.FromMinutes(5),
            hostEnv: new Dictionary<string, string> { ["npm_config_prefer_offline"] = "true" });

        Assert.True(result.Succeeded, result.ToString());
        Assert.False(File.Exists(run.HostPath("/src/node_modules/.storefleet-lock-hash")), "the host's node_modules reached the build context");
        Assert.True(File.Exists(run.HostPath("/out/.next/BUILD_ID")));
        Assert.True(File.Exists(run.HostPath("/out/node_modules/next/package.json")));
        Assert.False(Directory.Exists(run.HostPath("/out/node_modules/vitest")), "development dependencies are pruned");
        Assert.False(Directory.Exists(run.HostPath("/out/.next/cache")));

        // The final image's CMD, from the shipped files alone.
        var port = FreePort();
        var cmd = DockerStageRun.Stages(Dockerfile("dashboard"))[^1].Instructions.Single(i => i.Keyword == "CMD").Arguments;
        var argv = Regex.Matches(cmd, "\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        argv[argv.IndexOf("-p") + 1] = port.ToString();
        argv[argv.IndexOf("-H") + 1] = "127.0.0.1";
        var start = new System.Diagnostics.ProcessStartInfo(argv[0]) { WorkingDirectory = run.HostPath("/out"), RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv[1..]) start.ArgumentList.Add(a);
        start.Environment["NODE_ENV"] = "production";
        start.Environment["NEXT_TELEMETRY_DISABLED"] = "1";
        using var server = System.Diagnostics.Process.Start(start)!;
        var output = server.StandardOutput.ReadToEndAsync();
        var errors = server.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            HttpResponseMessage? answer = null;
            for (var deadline = DateTime.UtcNow.AddSeconds(60); answer is null && DateTime.UtcNow < deadline && !server.HasExited; await Task.Delay(250))
            {
                try { answer = await http.GetAsync($"http://127.0.0.1:{port}/signin"); }
                catch (HttpRequestException) { }
            }
            Assert.True(answer is not null, $"next start did not answer: {(server.HasExited ? await errors : "still starting")}");
            Assert.Equal(System.Net.HttpStatusCode.OK, answer!.StatusCode);
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            _ = await output;
        }
    }
}
