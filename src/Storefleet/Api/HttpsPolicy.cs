namespace Storefleet.Api;

/// <summary>
/// HTTP→HTTPS redirect and HSTS for the public API (Api:HttpsRedirect, Api:Hsts; on in the platform
/// chart's production values). TLS ends at the ingress, so "the client used plain HTTP" is what a trusted
/// proxy said in X-Forwarded-Proto (applied by the forwarded-headers middleware, which leaves
/// X-Original-Proto behind). Requests without it come from inside the cluster (the dashboard's server,
/// probes, scrapers) and are served as they are: redirecting them would only break them.
/// </summary>
internal sealed class HttpsPolicy(RequestDelegate next, IConfiguration configuration)
{
    private readonly bool _redirect = configuration.GetValue("Api:HttpsRedirect", false);
    private readonly bool _hsts = configuration.GetValue("Api:Hsts", false);
    private readonly string _hstsValue = $"max-age={(long)configuration.GetValue("Api:HstsMaxAge", TimeSpan.FromDays(365)).TotalSeconds}; includeSubDomains";

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var proxiedOverHttp = !request.IsHttps && request.Headers.ContainsKey("X-Original-Proto");
        if (_redirect && proxiedOverHttp && request.Host.HasValue)
        {
            // 308 keeps the method and body; clients that follow it never send the token over plain HTTP again.
            context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
            context.Response.Headers.Location = $"https://{request.Host.Host}{request.PathBase}{request.Path}{request.QueryString}";
            return Task.CompletedTask;
        }
        if (_hsts && request.IsHttps) context.Response.Headers.StrictTransportSecurity = _hstsValue;
        return next(context);
    }
}
