using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Storefleet.Stores;

namespace Storefleet.Data;

/// <summary>
/// How a store's conditions are kept in its row: a JSON array of
/// <c>{"Type","Status","Reason","Message","LastTransitionTime"}</c> (the document EF wrote while they were an owned
/// collection), every time in UTC. Read and written by hand with <see cref="Utf8JsonReader"/>: this runs for every
/// store of every list page, and a general serializer cost more here than the rest of the read together.
/// Unknown properties are skipped, so an older process reads a newer document.
/// </summary>
internal static class ConditionsJson
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

    public static string Write(List<StoreCondition> conditions)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var c in conditions)
            {
                json.WriteStartObject();
                json.WriteString("Type", c.Type);
                json.WriteString("Status", c.Status);
                json.WriteString("Reason", c.Reason);
                json.WriteString("Message", c.Message);
                json.WriteString("LastTransitionTime", Utc(c.LastTransitionTime));
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static List<StoreCondition> Read(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            return Read(rented.AsSpan(0, Encoding.UTF8.GetBytes(text, rented)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static List<StoreCondition> Read(ReadOnlySpan<byte> utf8)
    {
        var conditions = new List<StoreCondition>(4);
        var json = new Utf8JsonReader(utf8);
        Expect(ref json, JsonTokenType.StartArray);
        while (json.Read() && json.TokenType == JsonTokenType.StartObject)
        {
            string? type = null, status = null, reason = null, message = null;
            DateTime at = default;
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                if (json.ValueTextEquals("Type"u8)) type = NextString(ref json);
                else if (json.ValueTextEquals("Status"u8)) status = NextString(ref json);
                else if (json.ValueTextEquals("Reason"u8)) reason = NextString(ref json);
                else if (json.ValueTextEquals("Message"u8)) message = NextString(ref json);
                else if (json.ValueTextEquals("LastTransitionTime"u8)) at = Utc(json.Read() && json.TryGetDateTime(out var t) ? t : throw Malformed());
                else { json.Read(); json.Skip(); }
            }
            conditions.Add(new StoreCondition
            {
                Type = type ?? throw Malformed(),
                Status = status ?? throw Malformed(),
                Reason = reason ?? "",
                Message = message ?? "",
                LastTransitionTime = at,
            });
        }
        return conditions;
    }

    private static string NextString(ref Utf8JsonReader json) =>
        json.Read() && json.TokenType is JsonTokenType.String ? json.GetString()! : json.TokenType is JsonTokenType.Null ? "" : throw Malformed();

    private static void Expect(ref Utf8JsonReader json, JsonTokenType token)
    {
        if (!json.Read() || json.TokenType != token) throw Malformed();
    }

    // Times are UTC; SQLite keeps text without a kind, and a document written without "Z" is read as UTC too.
    private static DateTime Utc(DateTime t) => t.Kind switch
    {
        DateTimeKind.Utc => t,
        DateTimeKind.Local => t.ToUniversalTime(),
        _ => DateTime.SpecifyKind(t, DateTimeKind.Utc),
    };

    private static JsonException Malformed() =>
        new("A store's Conditions column is not a JSON array of {Type, Status, Reason, Message, LastTransitionTime} objects.");
}
