using System.Text.Json;
using System.Text.Json.Serialization;
using Storefleet.Stores;

namespace Storefleet.Api;

/// <summary>
/// Source-generated serializers for the hottest responses (a store, a page of stores): no reflection-built
/// metadata on the read path. Generated with the same settings ApiDefaults.Configure gives the API (camelCase,
/// enums as strings); types not listed here fall back to the reflection resolver.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(StoreResponse))]
[JsonSerializable(typeof(Page<StoreResponse>))]
[JsonSerializable(typeof(StoreEventResponse))]
[JsonSerializable(typeof(Page<StoreEventResponse>))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
