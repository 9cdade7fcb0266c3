using k8s;
using Microsoft.Extensions.Options;
using Storefleet.Cluster;
using Storefleet.Cluster.Kubernetes;
using Storefleet.Stores;

namespace Storefleet.Provisioning;

/// <summary>
/// Which parts of the one binary run in this process: <c>Roles=api,worker</c> (default both). These are the
/// process' jobs, not what a user may do (that is <see cref="Auth.Roles"/>, the tenant and admin roles in tokens).
/// The setting keeps its name <c>Roles</c> because deployments (the platform chart) already set it.
/// </summary>
public sealed record ProcessRoles(bool Api, bool Worker)
{
    public static ProcessRoles From(IConfiguration configuration)
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

/// <summary>Logs what stores run on. Resolved when it starts, not when built: with Cluster:Mode=auto that is only known after the detection.</summary>
public sealed class PlatformAnnouncement(IServiceProvider services, ILogger<PlatformAnnouncement> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<PlatformInfo>().LogAtStartup(log);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
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
        var roles = ProcessRoles.From(config);
        services.AddSingleton(roles);
        services.Configure<WorkerOptions>(config.GetSection("Provisioning:Worker"));
        services.Configure<OrphanOptions>(config.GetSection("Provisioning:Orphans"));
        services.Configure<MetricsOptions>(config.GetSection("Provisioning:Metrics"));
        services.AddSingleton(config.GetSection("Provisioning:Policy").Get<ReconcilePolicy>() ?? new ReconcilePolicy());
        AddCluster(builder, roles);
        // After the cluster detection (hosted services start in order): says loudly when stores are simulated.
        services.AddHostedService<PlatformAnnouncement>();

        // Everything below acts on stores; an API-only process builds none of it.
        if (roles.Worker)
        {
            services.AddSingleton<StoreQueue>();
            services.AddSingleton<StoreReconciler>();
            services.AddSingleton<ProvisioningMetrics>();
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
    /// Whether it answers is asked at start-up, asynchronously and with a timeout (<see cref="DetectedCluster"/>),
    /// and only by a process that runs workers: an API-only process never calls the cluster.
    /// </summary>
    private static void AddCluster(WebApplicationBuilder builder, ProcessRoles roles)
    {
        var config = builder.Configuration;
        var services = builder.Services;
        var mode = (config["Cluster:Mode"] ?? "auto").ToLowerInvariant();
        if (mode is not ("auto" or "kubernetes" or "simulated"))
            throw new InvalidOperationException($"Cluster:Mode must be auto, kubernetes or simulated (got '{config["Cluster:Mode"]}').");
        var kubeOptions = config.GetSection("Cluster:Kubernetes").Get<KubernetesClusterOptions>() ?? new KubernetesClusterOptions();
        var simOptions = config.GetSection("Cluster:Simulated").Get<SimulatedClusterOptions>() ?? new SimulatedClusterOptions();
        services.AddSingleton(kubeOptions);
        services.AddSingleton(simOptions);
        string? why = null;
        if (mode == "auto" && !HasKubeConfig(kubeOptions))
            (mode, why) = ("simulated", "No kubeconfig or in-cluster service account was found.");
        if (mode == "auto" && !roles.Worker) mode = "kubernetes"; // configured for a cluster; this process never calls it

        if (mode == "simulated")
        {
            services.AddSingleton(Simulated(why));
            if (!roles.Worker) return;
            services.AddSingleton<SimulatedCluster>();
            services.AddSingleton<IStoreCluster>(sp => sp.GetRequiredService<SimulatedCluster>());
            return;
        }
        if (mode == "kubernetes") services.AddSingleton(Kubernetes);
        if (!roles.Worker) return;
        services.AddSingleton<IKubernetes>(_ => new k8s.Kubernetes(LoadConfig(kubeOptions)));
        services.AddSingleton<HelmCli>();
        services.AddSingleton<KubernetesStoreCluster>();
        if (mode == "kubernetes")
        {
            services.AddSingleton<IStoreCluster>(sp => sp.GetRequiredService<KubernetesStoreCluster>());
            return;
        }
        // auto, with a kubeconfig, in a worker: asked once the process starts, before the workers start.
        services.AddSingleton<SimulatedCluster>();
        services.AddSingleton<DetectedCluster>();
        services.AddSingleton<IStoreCluster>(sp => sp.GetRequiredService<DetectedCluster>());
        services.AddTransient(sp => sp.GetRequiredService<DetectedCluster>().Platform); // known once started
        services.AddHostedService(sp => sp.GetRequiredService<DetectedCluster>());
    }

    internal static readonly PlatformInfo Kubernetes = new("kubernetes", false, "Stores run on a Kubernetes cluster.");

    internal static PlatformInfo Simulated(string? why) => new("simulated", true,
        "Stores are SIMULATED: no Kubernetes cluster is connected, so no real WordPress is installed and the store URLs do not serve a shop. " +
        (why ?? "Set Cluster__Mode=kubernetes (with a kubeconfig) to provision real stores."));

    private static bool HasKubeConfig(KubernetesClusterOptions options) =>
        KubernetesClientConfiguration.IsInCluster()
        || options.KubeConfig is not null
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBECONFIG"))
        || File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config"));

    internal static KubernetesClientConfiguration LoadConfig(KubernetesClusterOptions options) =>
        options.KubeConfig is not null
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeConfig, options.KubeContext)
            : KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: options.KubeContext);
}

/// <summary>
/// <c>Cluster:Mode=auto</c> with a kubeconfig: at start-up (a hosted service, so before the workers start), asks
/// the API server for its version with a timeout, logs the answer, and from then on forwards every call to the
/// real driver, or to the simulated twin when the cluster did not answer.
/// </summary>
public sealed class DetectedCluster(IServiceProvider services, IKubernetes kubernetes, ILogger<DetectedCluster> log) : IStoreCluster, IHostedService
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private IStoreCluster? _chosen;

    /// <summary>What the process runs stores on; the twin until the detection has answered.</summary>
    public PlatformInfo Platform { get; private set; } = ProvisioningSetup.Simulated("The cluster has not been asked yet.");

    private IStoreCluster Chosen => _chosen ?? throw new InvalidOperationException("The cluster is used before start-up detected it.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            var version = await kubernetes.Version.GetCodeAsync(timeout.Token);
            _chosen = services.GetRequiredService<KubernetesStoreCluster>();
            Platform = ProvisioningSetup.Kubernetes;
            log.LogInformation("Cluster:Mode=auto: the Kubernetes API server answered (version {Version}); stores run on it", version.GitVersion);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _chosen = services.GetRequiredService<SimulatedCluster>();
            Platform = ProvisioningSetup.Simulated($"A kubeconfig was found but its cluster did not answer within {Timeout.TotalSeconds:0} s ({e.GetType().Name}).");
            log.LogWarning("Cluster:Mode=auto: {Message}", Platform.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<StoreObservation> ObserveAsync(StoreRef store, CancellationToken ct) => Chosen.ObserveAsync(store, ct);
    public Task EnsureNamespaceAsync(StoreRef store, CancellationToken ct) => Chosen.EnsureNamespaceAsync(store, ct);
    public Task<StoreCredentials> EnsureCredentialsAsync(StoreRef store, CancellationToken ct) => Chosen.EnsureCredentialsAsync(store, ct);
    public Task InstallAsync(StoreRelease release, CancellationToken ct) => Chosen.InstallAsync(release, ct);
    public Task RecoverReleaseAsync(StoreRef store, CancellationToken ct) => Chosen.RecoverReleaseAsync(store, ct);
    public Task UninstallAsync(StoreRef store, CancellationToken ct) => Chosen.UninstallAsync(store, ct);
    public Task DeleteNamespaceAsync(StoreRef store, CancellationToken ct) => Chosen.DeleteNamespaceAsync(store, ct);
    public IAsyncEnumerable<ManagedNamespace> ListManagedAsync(CancellationToken ct) => Chosen.ListManagedAsync(ct);
    public Task<JobStatus> BackupAsync(StoreRef store, BackupJob job, CancellationToken ct) => Chosen.BackupAsync(store, job, ct);
    public Task<JobStatus> RestoreAsync(StoreRef store, RestoreJob job, CancellationToken ct) => Chosen.RestoreAsync(store, job, ct);
}
