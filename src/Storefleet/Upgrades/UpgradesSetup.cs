using Storefleet.Provisioning;

namespace Storefleet.Upgrades;

public static class UpgradesSetup
{
    /// <summary>The chart catalog (every role: the API validates rollouts against it) and, in the worker role, the rollout driver.</summary>
    public static WebApplicationBuilder AddUpgrades(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<UpgradeOptions>(builder.Configuration.GetSection("Upgrades"));
        builder.Services.AddSingleton<ChartCatalog>();
        builder.Services.AddSingleton<UpgradeMetrics>();
        if (ProcessRoles.From(builder.Configuration).Worker)
        {
            builder.Services.AddSingleton<RolloutDriver>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RolloutDriver>());
        }
        return builder;
    }
}
