using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Features;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using Microsoft.OpenApi;

namespace Storefleet.Api;

/// <summary>What every endpoint shares: strict JSON, RFC 9457 errors, a body size limit, CORS for the dashboard, OpenAPI.</summary>
public static class ApiDefaults
{
    public const string DashboardCors = "dashboard";

    public static WebApplicationBuilder AddApiDefaults(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<JsonOptions>(o => Configure(o.SerializerOptions));

        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Instance ??= ctx.HttpContext.Request.Path;
            ctx.ProblemDetails.Extensions.TryAdd("traceId", ctx.HttpContext.TraceIdentifier);
            ctx.ProblemDetails.Detail ??= DefaultDetail(ctx.ProblemDetails.Status);
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();

        var maxBody = builder.Configuration.GetValue("Api:MaxRequestBodyBytes", 16 * 1024);
        services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = maxBody);
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        var origins = builder.Configuration.GetSection("Cors:DashboardOrigins").Get<string[]>()
            ?? ["http://127.0.0.1:3000", "http://localhost:3000"];
        services.AddCors(o => o.AddPolicy(DashboardCors, p => p
            .WithOrigins(origins).AllowAnyHeader().WithMethods("GET", "POST", "DELETE").WithExposedHeaders("Retry-After", "Location")));

        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Storefleet API";
            doc.Info.Description = "Provision isolated WooCommerce stores on Kubernetes. Errors are RFC 9457 problem details.";
            doc.Components ??= new OpenApiComponents();
            doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            doc.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
                Description = "The accessToken from POST /auth/login.",
            };
            return Task.CompletedTask;
        }));
        return builder;
    }

    // For answers the framework writes itself (no route, wrong method, wrong media type, missing role).
    private static string? DefaultDetail(int? status) => status switch
    {
        StatusCodes.Status403Forbidden => "Your account is not allowed to do this. Administrators can; ask one if you need it.",
        StatusCodes.Status404NotFound => "Nothing exists at this address. The API reference is at /openapi/v1.json.",
        StatusCodes.Status405MethodNotAllowed => "This address does not accept this HTTP method. The API reference is at /openapi/v1.json.",
        StatusCodes.Status415UnsupportedMediaType => "Send the request body as JSON with 'Content-Type: application/json'.",
        _ => null,
    };

    public static void Configure(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        json.NumberHandling = JsonNumberHandling.Strict;
        json.AllowDuplicateProperties = false;
        json.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        json.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
    }

    public static WebApplication UseApiDefaults(this WebApplication app)
    {
        // The client's address (per-IP sign-in limits, the audit log) arrives in X-Forwarded-For from the
        // dashboard's server-side proxy and the ingress. Only proxies on loopback are trusted by default;
        // ASPNETCORE_FORWARDEDHEADERS_ENABLED=true (the platform chart) trusts the cluster network too.
        app.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto });
        app.UseMiddleware<HttpsPolicy>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestBodyLimit>();
        app.UseCors(DashboardCors);
        app.MapOpenApi();
        return app;
    }
}

/// <summary>
/// Refuses oversized bodies up front with 413 (Kestrel enforces the same limit for chunked bodies
/// while reading, which surfaces as a BadHttpRequestException handled below).
/// </summary>
internal sealed class RequestBodyLimit(RequestDelegate next, IConfiguration configuration)
{
    private readonly long _max = configuration.GetValue("Api:MaxRequestBodyBytes", 16 * 1024);

    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        if (context.Request.ContentLength > _max)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status413PayloadTooLarge,
                    Title = "Request body too large",
                    Detail = $"The request body is {context.Request.ContentLength} bytes; the limit is {_max} bytes.",
                },
            });
            return;
        }
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = _max;
        await next(context);
    }
}

/// <summary>
/// Turns bad requests (malformed or mistyped JSON, unknown fields, missing bodies) into a 400 problem
/// that names the field, and anything unexpected into a 500 problem that leaks no internals.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        ProblemDetails problem;
        if (exception is BadHttpRequestException bad)
        {
            problem = new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Invalid request",
                Detail = Describe(bad),
            };
        }
        else
        {
            log.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Unexpected error",
                Detail = $"Something went wrong on our side. Try again; if it keeps happening, report trace id {context.TraceIdentifier}.",
            };
        }
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static string Describe(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            var at = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "the body" : $"'{json.Path.TrimStart('$', '.')}'";
            var message = json.Message;
            if (message.Contains("could not be mapped", StringComparison.Ordinal))
                return $"The request body has a field this endpoint does not accept: {at}. Remove it and try again.";
            if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
                return $"The request body repeats a field at {at}. Send each field once.";
            if (message.Contains("could not be converted", StringComparison.Ordinal))
                return $"The value at {at} has the wrong type. Check the API reference at /openapi/v1.json.";
            return $"The request body is not valid JSON (problem at {at}).";
        }
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            return "The request body is larger than this API accepts.";
        if (bad.Message.Contains("Implicit body", StringComparison.Ordinal) || bad.Message.Contains("Required parameter", StringComparison.Ordinal))
            return "A JSON request body is required.";
        if (bad.Message.Contains("content type", StringComparison.OrdinalIgnoreCase))
            return "Send the request body as application/json.";
        return "The request could not be read. Send a JSON body as described at /openapi/v1.json.";
    }
}
