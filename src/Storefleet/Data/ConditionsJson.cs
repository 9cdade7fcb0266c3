using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Storefleet.Stores;

namespace Storefleet.Data;

/// <summary>
/// How a store's conditions are kept in its row: a JSON array of
/// <c>{"Type","Status","Reason","Message","LastTransitionTime"}</c>, every time in UTC.
/// </summary>
internal static partial class ConditionsJson
{
    public static readonly ValueConverter<List<StoreCondition>, string> Converter = new(
        conditions => Write(conditions),
        json => Read(json));

    // Conditions are mutable objects in a list: compare and snapshot them by their stored form, so that
    // the change tracker sees an edited condition as well as a replaced list.
    public static readonly ValueComparer<List<StoreCondition>> Comparer = new(
        (a, b) => Write(a!) == Write(b!),
        conditions => Write(conditions).GetHashCode(StringComparison.Ordinal),
        conditions => Read(Write(conditions)));

    public static string Write(List<StoreCondition> conditions) => JsonSerializer.Serialize(conditions, Context.Default.ListStoreCondition);

    public static List<StoreCondition> Read(string json)
    {
        var conditions = JsonSerializer.Deserialize(json, Context.Default.ListStoreCondition) ?? [];
        foreach (var c in conditions)
            c.LastTransitionTime = c.LastTransitionTime.Kind switch
            {
                DateTimeKind.Utc => c.LastTransitionTime,
                DateTimeKind.Local => c.LastTransitionTime.ToUniversalTime(),
                _ => DateTime.SpecifyKind(c.LastTransitionTime, DateTimeKind.Utc),
            };
        return conditions;
    }

    [JsonSerializable(typeof(List<StoreCondition>))]
    private sealed partial class Context : JsonSerializerContext;
}
