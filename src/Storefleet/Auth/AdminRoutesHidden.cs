using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace Storefleet.Auth;

/// <summary>
/// A signed-in user without the admin role gets 404 from every administrator route, as if it did not exist: a 403
/// would confirm that there is something there to break into. Everything else keeps the default answers.
/// </summary>
public sealed class AdminRoutesHidden : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        var adminOnly = context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == AuthSetup.AdminPolicy) == true;
        if (result.Forbidden && adminOnly)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status404NotFound,
                    Title = "Not found",
                    Detail = "Nothing exists at this address. The API reference is at /openapi/v1.json.",
                },
            });
            return;
        }
        await _default.HandleAsync(next, context, policy, result);
    }
}
