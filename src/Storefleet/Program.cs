using Prometheus;
using Storefleet.Admin;
using Storefleet.Api;
using Storefleet.Audit;
using Storefleet.Auth;
using Storefleet.Data;
using Storefleet.Observability;
using Storefleet.Provisioning;
using Storefleet.RateLimiting;
using Storefleet.Stores;

var builder = WebApplication.CreateBuilder(args);

builder.AddApiDefaults();
builder.AddStorefleetDatabase();
builder.AddStorefleetAuth();
builder.AddRateLimits();
builder.AddAudit();
builder.AddObservability();
builder.Services.Configure<StoreOptions>(builder.Configuration.GetSection("Stores"));
builder.Services.AddSingleton<StoreQueueSignal>();

var app = builder.Build();

// `storefleet migrate` applies the database migrations and exits (used by the platform chart's pre-upgrade Job).
if (args.Contains("migrate"))
{
    await app.Services.MigrateDatabaseAsync();
    return;
}
if (app.Configuration.GetValue("Database:MigrateOnStartup", true)) await app.Services.MigrateDatabaseAsync();
await app.Services.SeedAdminAsync();

app.UseApiDefaults();
app.UseHttpMetrics();
app.UseAuthentication();
app.UseAuthorization();

app.MapObservability();
app.MapAuth();
app.MapMe();
app.MapStores();
app.MapAdmin();

app.Run();

public partial class Program;
