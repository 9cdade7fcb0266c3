using System.Text.Json;
using Storefleet.Stores;
using Storefleet.Tests.Infrastructure;

namespace Storefleet.Tests.Api;

/// <summary>GET /stores/{id}/credentials of a store that has none says why, as it is: wait, gone soon, or failed and what to do.</summary>
public class CredentialsTests
{
    private static async Task<Guid> StoreIn(TestApp app, Guid owner, string slug, StorePhase phase, string reason, string message, bool retrying = false, bool deleting = false)
    {
        await using var db = app.NewDb();
        var now = DateTime.UtcNow;
        var store = new Store
        {
            Id = Guid.CreateVersion7(), OwnerId = owner, Name = slug, Slug = slug, Engine = "woocommerce", ChartVersion = "0.1.0", Phase = phase,
            CreatedAt = now, UpdatedAt = now, DueAt = retrying ? now.AddHours(1) : null, DeletionRequestedAt = deleting ? now : null,
            Conditions = [new StoreCondition { Type = "Ready", Status = "False", Reason = reason, Message = message, LastTransitionTime = now }],
        };
        db.Stores.Add(store);
        await db.SaveChangesAsync();
        return store.Id;
    }

    [Fact]
    public async Task AStoreWithoutCredentialsSaysToWaitWhileItIsMadeAndWhyAndWhatToDoWhenItFailed()
    {
        // API only: the stores stay as written (no worker moves them on).
        await using var app = new TestApp(settings: new Dictionary<string, string?> { ["Roles"] = "api" });
        var ana = await app.CreateUser("ana@example.com");
        var client = app.ClientWithToken(app.Service<Storefleet.Auth.TokenIssuer>().Issue(ana, DateTime.UtcNow).Token);
        var provisioning = await StoreIn(app, ana.Id, "making", StorePhase.Provisioning, "Installing", "Installing the release.", retrying: true);
        var conflict = await StoreIn(app, ana.Id, "taken", StorePhase.Error, "NamespaceConflict",
            "Namespace store-taken exists but is not labelled as this store's. Storefleet has written nothing to it and will not use it.");
        var flaky = await StoreIn(app, ana.Id, "flaky", StorePhase.Error, "ClusterUnavailable", "The cluster did not answer.", retrying: true);
        var deleting = await StoreIn(app, ana.Id, "going", StorePhase.Deleting, "Uninstalling", "Uninstalling.", retrying: true, deleting: true);

        var wait = await (await client.GetAsync($"/stores/{provisioning}/credentials")).AssertProblem(409);
        var failedResponse = await client.GetAsync($"/stores/{conflict}/credentials");
        var failedJson = JsonDocument.Parse(await failedResponse.Content.ReadAsStringAsync());
        var failed = await failedResponse.AssertProblem(409);
        var retrying = await (await client.GetAsync($"/stores/{flaky}/credentials")).AssertProblem(409);
        var gone = await (await client.GetAsync($"/stores/{deleting}/credentials")).AssertProblem(409);

        Assert.Equal("Credentials not ready yet", wait.Title);
        Assert.Equal("The store failed and has no admin login", failed.Title);
        Assert.Equal("https://storefleet.dev/problems/store-failed", failed.Type);
        Assert.Equal("NamespaceConflict", failedJson.RootElement.GetProperty("reason").GetString());
        Assert.Contains("Namespace store-taken exists but is not labelled as this store's", failed.Detail);
        Assert.Contains($"retry it (POST /stores/{conflict}/retry) once the cause is fixed, or delete it and create it again", failed.Detail);
        Assert.DoesNotContain("Try again in a minute", failed.Detail);
        Assert.Contains("(ClusterUnavailable): The cluster did not answer", retrying.Detail);
        Assert.Contains("The platform keeps retrying", retrying.Detail);
        Assert.Equal("The store is being deleted", gone.Title);
    }
}
