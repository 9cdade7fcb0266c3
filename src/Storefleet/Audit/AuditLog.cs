using Microsoft.Extensions.DependencyInjection.Extensions;
using Storefleet.Auth;
using Storefleet.Data;

namespace Storefleet.Audit;

/// <summary>
/// Adds audit entries to the caller's unit of work, so an entry is committed together with the change
/// it describes (or not at all). The source IP comes from the current request.
/// </summary>
public sealed class AuditLog(IHttpContextAccessor http, TimeProvider clock)
{
    public void Record(StorefleetDb db, string action, string outcome, User? actor = null, string? actorEmail = null,
        (string? Id, string? Name)? target = null, string? detail = null) =>
        db.AuditLog.Add(new AuditEntry
        {
            Time = clock.GetUtcNow().UtcDateTime,
            ActorId = actor?.Id ?? CurrentUserId(),
            ActorEmail = actor?.Email ?? actorEmail ?? http.HttpContext?.User.FindFirst("email")?.Value,
            Action = action,
            Outcome = outcome,
            TargetId = target?.Id,
            TargetName = target?.Name,
            SourceIp = http.HttpContext?.SourceIp(),
            Detail = detail,
        });

    private Guid? CurrentUserId() =>
        Guid.TryParse(http.HttpContext?.User.FindFirst("sub")?.Value, out var id) ? id : null;
}

public static class AuditSetup
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddScoped<AuditLog>();
        return builder;
    }

    public static string SourceIp(this HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
