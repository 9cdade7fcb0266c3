using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Storefleet.Api;

/// <summary>
/// 200 with a JSON body written by the source generator's fast path (<see cref="ApiJsonContext"/>): straight-line
/// code per type instead of the converter stack. For the hottest reads: a store and a page of stores.
/// </summary>
/// <remarks>
/// <c>TypedResults.Ok</c> cannot take that path: the API's options resolve through a chain (the context, then
/// reflection) and carry a converter, and the fast path needs a context's own options. <c>TypedResults.Json</c>
/// with the context's type info streams asynchronously, and streaming uses the fast path only for bodies under
/// half a buffer (8 KB); a page of 50 stores is ~30 KB. So the body is serialized synchronously into the response
/// pipe, which only buffers until the flush; use it only for bounded bodies (a page holds at most 100 stores,
/// ~60 KB). The bytes are the same as <c>TypedResults.Ok</c> writes (escaping and layout come from the API's
/// options): a test compares them.
/// </remarks>
public sealed class JsonOk<T>(T value, JsonTypeInfo<T> typeInfo) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>, IEndpointMetadataProvider
{
    public T Value => value;
    object? IValueHttpResult.Value => value;
    public int StatusCode => StatusCodes.Status200OK;
    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = "application/json; charset=utf-8";
        // How text is escaped and laid out is the writer's business, not the type info's: take it from the API's options.
        var api = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var layout = new JsonWriterOptions { Encoder = api.Encoder, Indented = api.WriteIndented, IndentCharacter = api.IndentCharacter, IndentSize = api.IndentSize, NewLine = api.NewLine };
        using (var writer = new Utf8JsonWriter(response.BodyWriter, layout))
            JsonSerializer.Serialize(writer, value, typeInfo);
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
}
