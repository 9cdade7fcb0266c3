using System.Text.RegularExpressions;

namespace Storefleet.Tests.Charts;

/// <summary>
/// The Dockerfiles the chart's images come from, read as text (no container engine runs here). What
/// the chart assumes about an image (user, port, paths) must be what the Dockerfile builds.
/// (Their build steps run in ImageBuildTests; scripts/k3d-up.sh is tested in K3dScriptTests.)
/// </summary>
public partial class PlatformImagesAndScriptTests
{
    sealed record Stage(string From, string? Name, List<string> Instructions);

    [GeneratedRegex(@"\\\r?\n")]
    private static partial Regex LineContinuation();

    /// <summary>The Dockerfile's stages, with continuation lines joined and comments dropped; ARG defaults substituted in FROM.</summary>
    static List<Stage> Stages(string image)
    {
        var text = File.ReadAllText(Path.Combine(PlatformChart.Repo, "images", image, "Dockerfile"));
        var lines = LineContinuation().Replace(string.Join("\n", text.Split('\n').Where(l => !l.TrimStart().StartsWith('#'))), " ")
            .Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);
        var args = new Dictionary<string, string>();
        var stages = new List<Stage>();
        foreach (var line in lines)
        {
            if (line.StartsWith("FROM ", StringComparison.Ordinal))
            {
                // FROM [--platform=...] image [AS name]
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToArray();
                var from = Regex.Replace(parts[1], @"\$\{(\w+)\}", m => args.GetValueOrDefault(m.Groups[1].Value, m.Value));
                stages.Add(new Stage(from, parts.Length > 3 ? parts[3] : null, []));
            }
            else if (stages.Count == 0 && line.StartsWith("ARG ", StringComparison.Ordinal) && line.Contains('='))
            {
                var kv = line[4..].Split('=', 2);
                args[kv[0]] = kv[1];
            }
            else if (stages.Count > 0)
            {
                stages[^1].Instructions.Add(line);
            }
        }
        return stages;
    }

    static string Instruction(Stage stage, string keyword) =>
        stage.Instructions.Single(i => i.StartsWith(keyword + " ", StringComparison.Ordinal))[(keyword.Length + 1)..].Trim();

    static void AssertPinned(string image)
    {
        var tag = image.Contains(':') ? image[(image.LastIndexOf(':') + 1)..] : "";
        Assert.False(tag is "" or "latest", $"base image {image} is not pinned to a version");
        Assert.Matches(@"\d", tag);
    }

    [Fact]
    public void ThePlatformImageIsMultiStageNonRootAndCarriesNoSdk()
    {
        var stages = Stages("platform");
        var final = stages[^1];
        var chart = PlatformChart.Render("values-prod.yaml");

        Assert.True(stages.Count >= 2, "multi-stage");
        Assert.All(stages, s => AssertPinned(s.From));
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", final.From);
        Assert.Contains("chiseled", final.From);   // no shell, no package manager
        Assert.DoesNotContain(final.Instructions, i => i.StartsWith("RUN ", StringComparison.Ordinal));
        // The user the chart runs every platform pod as, numeric so Kubernetes can check runAsNonRoot.
        var user = Instruction(final, "USER");
        foreach (var component in new[] { "api", "worker", "migrate" })
        {
            Assert.Equal(user, chart.Pod(component).Spec.SecurityContext.RunAsUser.ToString());
        }
        Assert.Equal("8080", Instruction(final, "EXPOSE"));
        Assert.Equal("[\"dotnet\", \"Storefleet.dll\"]", Instruction(final, "ENTRYPOINT"));
        Assert.Contains("Urls=http://0.0.0.0:8080", Instruction(final, "ENV"));
    }

    [Fact]
    public void ThePlatformImageVerifiesThePinnedHelmAndShipsNoDevelopmentSettings()
    {
        var stages = Stages("platform");
        var helm = stages.Single(s => s.Name == "helm");
        var build = stages.Single(s => s.Name == "build");

        Assert.Contains(helm.Instructions, i => i.StartsWith("ARG HELM_VERSION=4.", StringComparison.Ordinal));
        Assert.Contains(helm.Instructions, i => i.Contains("sha256sum -c") && i.Contains("HELM_SHA256 build argument is required"));
        Assert.Contains(build.Instructions, i => i.Contains("dotnet publish") && i.Contains("rm -f /app/appsettings.Development.json"));
        Assert.Contains(stages[^1].Instructions, i => i == "COPY --from=build /app ./");
    }

    [Fact]
    public void TheDashboardImageIsMultiStageNonRootAndServesThePortTheChartProbes()
    {
        var stages = Stages("dashboard");
        var final = stages[^1];
        var dashboard = PlatformChart.Render("values-prod.yaml").Pod("dashboard");
        var container = dashboard.Spec.Containers.Single();

        Assert.True(stages.Count >= 2, "multi-stage");
        Assert.All(stages, s => AssertPinned(s.From));
        Assert.StartsWith("node:", final.From);
        Assert.DoesNotContain(final.Instructions, i => i.StartsWith("RUN ", StringComparison.Ordinal));   // no npm, no build in the final image
        Assert.Equal(Instruction(final, "USER"), dashboard.Spec.SecurityContext.RunAsUser.ToString());
        Assert.Equal(container.Ports.Single().ContainerPort.ToString(), Instruction(final, "EXPOSE"));
        Assert.Contains($"\"-p\", \"{container.Ports.Single().ContainerPort}\"", Instruction(final, "CMD"));
        Assert.Contains("\"start\"", Instruction(final, "CMD"));
        // Next.js writes only its cache; the chart gives it a volume there and keeps the root read-only.
        Assert.Equal("/app", Instruction(final, "WORKDIR"));
        Assert.Contains(container.VolumeMounts, m => m.MountPath == "/app/.next/cache");
    }

    [Fact]
    public void TheStoreChartInTheImageIsTheVersionTheEngineStampsOnNewStores()
    {
        // The worker installs whatever charts/woocommerce-store the image carries and compares the
        // deployed chart version with the store's (Stores:ChartVersion at creation). A mismatch would
        // make every reconcile "upgrade" the store again.
        var chartYaml = File.ReadAllText(Path.Combine(PlatformChart.Repo, "charts", "woocommerce-store", "Chart.yaml"));
        var version = Regex.Match(chartYaml, @"(?m)^version:\s*""?([^""\s]+)").Groups[1].Value;

        Assert.Equal(new Storefleet.Stores.StoreOptions().ChartVersion, version);
    }
}
