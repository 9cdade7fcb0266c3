using Microsoft.Extensions.Options;
using Storefleet.Admin;
using Storefleet.Api;
using Storefleet.Audit;
using Storefleet.Auth;
using Storefleet.Backups;
using Storefleet.Data;
using Storefleet.Notifications;
using Storefleet.Observability;
using Storefleet.Provisioning;
using Storefleet.RateLimiting;
using Storefleet.Secrets;
using Storefleet.Stores;
using Storefleet.Upgrades;

var builder = WebApplication.CreateBuilder(args);
builder.AddStorefleetDatabase();

// `storefleet migrate` applies the database migrations and exits (the platform chart's pre-upgrade Job).
// It needs nothing but the database: no keys, no cluster.
if (args.Contains("migrate"))
{
    await builder.Build().Services.MigrateDatabaseAsync();
    return;
}

builder.AddApiDefaults();
builder.AddStorefleetAuth();
builder.AddCredentialProtection();
builder.AddRateLimits();
builder.AddAudit();
builder.AddRetention();
builder.AddObservability();
builder.AddNotifications();
builder.AddProvisioning();
builder.AddStores();
builder.AddBackups();
builder.AddUpgrades();

var app = builder.Build();

if (app.Configuration.GetValue("Database:MigrateOnStartup", true)) await app.Services.MigrateDatabaseAsync();
await app.Services.SeedAdminAsync();

app.UseApiDefaults();
app.UseRequestMetrics();
app.UseAuthentication();
app.UseAuthorization();

app.MapObservability();
app.MapPlatform();
if (app.Services.GetRequiredService<ProcessRoles>().Api)
{
    app.MapAuth();
    app.MapMe();
    app.MapStores();
    app.MapBackups();
    app.MapAdmin().MapUpgrades();
}

app.Run();

public partial class Program;
