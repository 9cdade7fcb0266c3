using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Storefleet.Auth;

/// <summary>
/// The signed-in user of this request, read from the validated token once per request (handlers take it as a
/// parameter). By the time a handler runs, the authentication handler has already refused a token whose
/// account was deleted or whose session ended (<see cref="SessionStamps"/>); a handler that still finds the
/// account gone (deleted in the last moments) answers <see cref="Gone"/>, the one "account not found" answer.
/// </summary>
public sealed record CurrentUser(Guid Id, string Email, string Role)
{
    private const string ItemKey = "storefleet.current-user";

    public static ValueTask<CurrentUser?> BindAsync(HttpContext http, ParameterInfo _) => ValueTask.FromResult(From(http));

    public static CurrentUser? From(HttpContext http)
    {
        if (http.Items.TryGetValue(ItemKey, out var known)) return (CurrentUser?)known;
        var principal = http.User;
        var user = Guid.TryParse(principal.FindFirstValue("sub"), out var id)
            ? new CurrentUser(id, principal.FindFirstValue("email") ?? "", principal.FindFirstValue("role") ?? "")
            : null;
        http.Items[ItemKey] = user;
        return user;
    }

    /// <summary>The account in the token no longer exists.</summary>
    public static ProblemHttpResult Gone() => TypedResults.Problem(
        title: "Account not found",
        detail: "The account in your access token no longer exists. Sign in again.",
        statusCode: StatusCodes.Status401Unauthorized);
}
