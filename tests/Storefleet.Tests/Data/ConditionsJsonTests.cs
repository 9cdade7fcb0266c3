using System.Text.Json;
using Storefleet.Data;
using Storefleet.Stores;

namespace Storefleet.Tests.Data;

/// <summary>The stored form of a store's conditions: what EF wrote before, what we write now, and what we refuse.</summary>
public class ConditionsJsonTests
{
    private static readonly DateTime At = new(2026, 11, 30, 8, 15, 0, 123, 456, DateTimeKind.Utc);

    [Fact]
    public void WhatIsWrittenReadsBackTheSameIncludingTheTimeToTheMicrosecond()
    {
        List<StoreCondition> conditions =
        [
            new() { Type = "Ready", Status = "False", Reason = "InstallFailed", Message = "Helm said: \"timed out\" — ünïcödé <b>", LastTransitionTime = At },
            new() { Type = "NamespaceReady", Status = "True", Reason = "Created", Message = "", LastTransitionTime = At.AddMinutes(-1) },
        ];

        var back = ConditionsJson.Read(ConditionsJson.Write(conditions));

        Assert.Equal(
            conditions.Select(c => (c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime, c.LastTransitionTime.Kind)),
            back.Select(c => (c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime, c.LastTransitionTime.Kind)));
    }

    [Theory]
    [InlineData("""[{"Type":"Ready","Status":"True","Reason":"StoreReady","Message":"m","LastTransitionTime":"2026-11-30T08:15:00.123456Z"}]""")]
    [InlineData("""[{"Type": "Ready", "Reason": "StoreReady", "Status": "True", "Message": "m", "LastTransitionTime": "2026-11-30T08:15:00.123456"}]""")]
    [InlineData("""[{"Type":"Ready","Status":"True","Reason":"StoreReady","Message":"m","LastTransitionTime":"2026-11-30T09:15:00.123456+01:00","Severity":{"a":[1]}}]""")]
    public void FormerDocumentsAnyKeyOrderAndUnknownPropertiesReadAsUtc(string stored)
    {
        var c = Assert.Single(ConditionsJson.Read(stored));

        Assert.Equal(("Ready", "True", "StoreReady", "m"), (c.Type, c.Status, c.Reason, c.Message));
        Assert.Equal(At, c.LastTransitionTime);
        Assert.Equal(DateTimeKind.Utc, c.LastTransitionTime.Kind);
    }

    [Theory]
    [InlineData("[]", 0)]
    [InlineData("", 0)]
    public void AnEmptyDocumentIsNoConditions(string stored, int count) => Assert.Equal(count, ConditionsJson.Read(stored).Count);

    [Theory]
    [InlineData("""{"Type":"Ready"}""")]
    [InlineData("""[{"Status":"True"}]""")]
    [InlineData("""[{"Type":"Ready","Status":"True","LastTransitionTime":"yesterday"}]""")]
    [InlineData("""[{"Type":"Ready","Status":"True""")]
    public void AMalformedDocumentIsAnErrorNotAnEmptyList(string stored) =>
        Assert.ThrowsAny<JsonException>(() => ConditionsJson.Read(stored));
}
