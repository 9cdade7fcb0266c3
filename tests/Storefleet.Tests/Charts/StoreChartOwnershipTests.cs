namespace Storefleet.Tests.Charts;

/// <summary>The store id the engine passes (store.id) marks every object of the store as the store's.</summary>
public class StoreChartOwnershipTests
{
    private const string StoreId = "01a21504-15d9-7ec7-beaa-69560c88be5a"; // engine-values.yaml

    [Theory]
    [MemberData(nameof(StoreChart.ValuesFiles), MemberType = typeof(StoreChart))]
    public void EveryObjectCarriesTheStoreId(string valuesFile)
    {
        var chart = StoreChart.Render(valuesFile);

        Assert.All(chart.Objects, o => Assert.Equal(StoreId, o.Object.Metadata.Labels?["storefleet.dev/store-id"]));
    }

    [Theory]
    [InlineData("ana")]
    [InlineData("01A21504-15D9-7EC7-BEAA-69560C88BE5A")]
    [InlineData("01a21504-15d9-7ec7-beaa-69560c88be5a\nkind: Secret")]
    public void AStoreIdThatIsNotALowerCaseUuidIsRefused(string id)
    {
        var result = StoreChart.TryRender([StoreChart.EngineValues], new Dictionary<string, string> { ["store.id"] = id });

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("/store/id", result.Output);
    }
}
