using k8s;
using Microsoft.Extensions.Options;
using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Storefleet.Stores;

namespace Storefleet.Provisioning;

/// <summary>Which parts of the one binary run in this process: <c>Roles=api,worker</c> (default both).</summary>
public sealed record PlatformRoles(bool Api, bool Worker)
{
    public static PlatformRoles From(IConfiguration configuration)
    {
        var roles = (configuration["Roles"] ?? "api,worker").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = roles.Except(["api", "worker"], StringComparer.OrdinalIgnoreCase).ToList();
        if (unknown.Count > 0 || roles.Length == 0)
            throw new InvalidOperationException($"Roles must be 'api', 'worker' or 'api,worker' (got '{configuration["Roles"]}').");
        return new(roles.Contains("api", StringComparer.OrdinalIgnoreCase), roles.Contains("worker", StringComparer.OrdinalIgnoreCase));
    }
}

/// <summary>What the platform runs stores on, as users are told (GET /platform).</summary>
public sealed record PlatformInfo(string Cluster, bool Simulated, string Message)
{
    public void LogAtStartup(ILogger log)
    {
        if (Simulated) log.LogWarning("{Message}", Message);
        else log.LogInformation("{Message}", Message);
    }
}

public static class PlatformApi
{
    public static RouteHandlerBuilder MapPlatform(this IEndpointRouteBuilder app) =>
        app.MapGet("/platform", (PlatformInfo platform) => TypedResults.Ok(platform))
            .WithTags("Platform").AllowAnonymous()
            .WithSummary("What stores run on: a Kubernetes cluster, or the simulated twin");
}

public static class ProvisioningSetup
{
    public static WebApplicationBuilder AddProvisioning(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;
        var roles = PlatformRoles.From(config);
        services.AddSingleton(roles);
        services.Configure<WorkerOptions>(config.GetSection("Provisioning:Worker"));
        services.Configure<OrphanOptions>(config.GetSection("Provisioning:Orphans"));
        services.Configure<MetricsOptions>(config.GetSection("Provisioning:Metrics"));
        services.AddSingleton(config.GetSection("Provisioning:Policy").Get<ReconcilePolicy>() ?? new ReconcilePolicy());
        services.AddSingleton<StoreQueue>();
        services.AddSingleton<StoreReconciler>();
        services.AddSingleton<ProvisioningMetrics>();
        AddCluster(builder, roles);

        if (roles.Worker)
        {
            services.AddSingleton<StoreWorker>();
            services.AddHostedService(sp => sp.GetRequiredService<StoreWorker>());
            services.AddSingleton<OrphanCollector>();
            services.AddHostedService(sp => sp.GetRequiredService<OrphanCollector>());
            services.AddHostedService<QueueMetricsRefresher>();
        }
        return builder;
    }

    /// <summary>
    /// <c>Cluster:Mode</c>: <c>kubernetes</c>, <c>simulated</c>, or <c>auto</c> (default): the real cluster when a
    /// kubeconfig or in-cluster service account is there and answers, else the simulated twin, said loudly.
    /// </summary>
    private static void AddCluster(WebApplicationBuilder builder, PlatformRoles roles)
    {
        var config = builder.Configuration;
        var mode = (config["Cluster:Mode"] ?? "auto").ToLowerInvariant();
        var kubeOptions = config.GetSection("Cluster:Kubernetes").Get<KubernetesClusterOptions>() ?? new KubernetesClusterOptions();
        var simOptions = config.GetSection("Cluster:Simulated").Get<SimulatedClusterOptions>() ?? new SimulatedClusterOptions();
        string? why = null;
        if (mode == "auto")
        {
            (mode, why) = KubernetesReachable(kubeOptions, checkReachable: roles.Worker);
        }
        if (mode is not ("kubernetes" or "simulated"))
            throw new InvalidOperationException($"Cluster:Mode must be auto, kubernetes or simulated (got '{config["Cluster:Mode"]}').");

        builder.Services.AddSingleton(kubeOptions);
        builder.Services.AddSingleton(simOptions);
        if (mode == "kubernetes")
        {
            builder.Services.AddSingleton<IKubernetes>(_ => new k8s.Kubernetes(LoadConfig(kubeOptions)));
            builder.Services.AddSingleton<HelmCli>();
            builder.Services.AddSingleton<IStoreCluster, KubernetesStoreCluster>();
            builder.Services.AddSingleton(new PlatformInfo("kubernetes", false, "Stores run on a Kubernetes cluster."));
        }
        else
        {
            builder.Services.AddSingleton<SimulatedCluster>();
            builder.Services.AddSingleton<IStoreCluster>(sp => sp.GetRequiredService<SimulatedCluster>());
            builder.Services.AddSingleton(new PlatformInfo("simulated", true,
                "Stores are SIMULATED: no Kubernetes cluster is connected, so no real WordPress is installed and the store URLs do not serve a shop. " +
                (why ?? "Set Cluster__Mode=kubernetes (with a kubeconfig) to provision real stores.")));
        }
    }

    private static (string Mode, string? Why) KubernetesReachable(KubernetesClusterOptions options, bool checkReachable)
    {
        var hasConfig = KubernetesClientConfiguration.IsInCluster()
            || options.KubeConfig is not null
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBECONFIG"))
            || File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config"));
        if (!hasConfig) return ("simulated", "No kubeconfig or in-cluster service account was found.");
        if (!checkReachable) return ("kubernetes", null);
        try
        {
            using var client = new k8s.Kubernetes(LoadConfig(options));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            client.Version.GetCodeAsync(timeout.Token).GetAwaiter().GetResult();
            return ("kubernetes", null);
        }
        catch (Exception e)
        {
            return ("simulated", $"A kubeconfig was found but its cluster did not answer ({e.GetType().Name}).");
        }
    }

    private static KubernetesClientConfiguration LoadConfig(KubernetesClusterOptions options) =>
        options.KubeConfig is not null
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeConfig, options.KubeContext)
            : KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: options.KubeContext);
}
