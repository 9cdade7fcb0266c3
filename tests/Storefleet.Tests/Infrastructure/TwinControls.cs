using Storefleet.Cluster;
using static Storefleet.Cluster.SimulatedCluster;

namespace Storefleet.Tests.Infrastructure;

/// <summary>What the simulated cluster holds for one store, for tests to check against.</summary>
public sealed record SimulatedStoreBooks(bool NamespaceExists, int Releases, int NamespacesCreated, int CredentialsCreated, int Installs, string? AdminPassword)
{
    /// <summary>Writes refused because the namespace, Secret or release was not the caller's: the engine must never attempt one.</summary>
    public int RefusedWrites { get; init; }
}

/// <summary>
/// The tests' controls of the simulated twin: inject faults, change the cluster behind the platform's back, and
/// read its books. They live here, not in the app, because no production path may use them; they reach the
/// twin's state through its one seam, <c>SimulatedCluster.Access</c> (internal, visible to this project).
/// </summary>
public static class TwinControls
{
    extension(SimulatedCluster twin)
    {
        /// <summary>The most calls for one store that were ever in progress at once. Must stay 1.</summary>
        public int MaxConcurrentCallsPerStore => twin.Access(s => s.MaxConcurrentCallsPerStore);

        /// <summary>Makes the next <paramref name="times"/> occurrences of <paramref name="fault"/> happen to this store.</summary>
        public void Inject(string slug, SimulatedFault fault, int times = 1) =>
            twin.Change(s => s.InjectedFaults[(slug, fault)] = s.InjectedFaults.GetValueOrDefault((slug, fault)) + times);

        /// <summary>Forgets every injected fault of this store (an operator fixed the cause).</summary>
        public void ClearFaults(string slug) => twin.Change(s =>
        {
            foreach (var key in s.InjectedFaults.Keys.Where(k => k.Slug == slug).ToList()) s.InjectedFaults.Remove(key);
        });

        /// <summary>Deletes a namespace behind the platform's back (kubectl delete namespace), for drift tests.</summary>
        public void DeleteOutOfBand(string slug) => twin.Change(s => s.Namespaces.Remove(slug));

        public SimulatedStoreBooks Books(string slug) => twin.Access(s =>
        {
            var ns = s.Namespaces.GetValueOrDefault(slug);
            return new SimulatedStoreBooks(ns is not null && ns.GoneAt is null,
                ns?.Release is { State: not ReleaseState.Absent } ? 1 : 0,
                ns?.NamespacesCreated ?? 0, ns?.CredentialsCreated ?? 0, ns?.Installs ?? 0, ns?.Credentials?.AdminPassword)
            {
                RefusedWrites = ns?.RefusedWrites ?? 0,
            };
        });

        /// <summary>The namespaces that exist now, terminating ones included (<c>store-&lt;slug&gt;</c>).</summary>
        public IReadOnlyList<string> LiveNamespaces() => twin.Access(s =>
            (IReadOnlyList<string>)[.. s.Namespaces.Values.Where(n => n.GoneAt is null || n.GoneAt > s.Now).Select(n => $"store-{n.Slug}")]);

        /// <summary>
        /// Plants a namespace <c>store-&lt;slug&gt;</c> that this platform did not create for the store about to use the
        /// name: another store's (labelled with <paramref name="storeId"/>, as a store from before a database restore
        /// leaves it) or, with <paramref name="storeId"/> null, someone else's entirely (no Storefleet labels).
        /// With <paramref name="adminPassword"/>, it holds that store's credentials Secret and a deployed release too.
        /// </summary>
        public void PlantForeignNamespace(string slug, Guid? storeId, string? adminPassword = null) => twin.Change(s =>
            s.Namespaces[slug] = new SimNamespace
            {
                Slug = slug, StoreId = storeId, Managed = storeId is not null, CreatedAt = s.Now,
                Credentials = adminPassword is null ? null : new StoreCredentials("admin", adminPassword),
                CredentialsOwner = adminPassword is null ? null : storeId,
                Release = adminPassword is null ? null : DeployedRelease(s, revision: 1, "Install complete", storeId),
            });

        /// <summary>Replaces the store's credentials Secret with one that carries <paramref name="owner"/> (null: no store id label).</summary>
        public void PlantForeignCredentials(string slug, Guid? owner, string adminPassword) => twin.Change(s =>
        {
            var ns = s.Namespaces[slug];
            ns.Credentials = new StoreCredentials("admin", adminPassword);
            ns.CredentialsOwner = owner;
        });

        /// <summary>Someone ran <c>helm upgrade --install &lt;slug&gt;</c> over the store's release with values of <paramref name="owner"/> (null: without a store id).</summary>
        public void PlantForeignRelease(string slug, Guid? owner) => twin.Change(s =>
        {
            var ns = s.Namespaces[slug];
            ns.Release = DeployedRelease(s, (ns.Release?.Revision ?? 0) + 1, "Upgrade complete", owner);
        });

        /// <summary>Creates a managed namespace with no store behind it, as a crashed or buggy platform might leave.</summary>
        public void PlantOrphan(string slug, Guid storeId, DateTime createdAt) => twin.Change(s =>
            s.Namespaces[slug] = new SimNamespace { Slug = slug, StoreId = storeId, CreatedAt = createdAt, NamespacesCreated = 1 });

        /// <summary>Changes the twin's state under its lock and persists it, as the twin does after its own changes.</summary>
        private void Change(Action<SimulatedClusterState> change) => twin.Access(s =>
        {
            change(s);
            return true;
        }, save: true);
    }

    /// <summary>A release of chart 0.1.0 whose store has been up for a while, with <paramref name="storeId"/> in its values.</summary>
    private static SimRelease DeployedRelease(SimulatedClusterState s, int revision, string description, Guid? storeId) => new()
    {
        State = ReleaseState.Deployed, Revision = revision, ChartVersion = "0.1.0", Description = description, StoreId = storeId,
        UpdatedAt = s.Now, InstalledAt = s.Now - s.TimeToReady, SetupDoneAt = s.Now,
    };
}
