using System.Text;
using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>
/// Keys and passwords: production reads every one from Secrets the operator creates; local clusters get
/// random ones generated into a single Secret. None is ever a value, an env literal or manifest text.
/// </summary>
public class PlatformChartSecretsTests
{
    /// <summary>The chart without its generated Secret, which is allowed to carry (random) data.</summary>
    static RenderedChart WithoutGeneratedSecret(RenderedChart chart) =>
        RenderedChart.Parse(string.Join("\n---\n", chart.Objects
            .Where(o => !(o.Object is V1Secret s && s.Metadata.Name == PlatformChart.GeneratedSecret))
            .Select(o => o.Yaml)));

    static IEnumerable<V1EnvVar> AllEnv(RenderedChart chart) =>
        chart.Pods.SelectMany(p => p.AllContainers).SelectMany(c => c.Container.Env ?? []);

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void NoPlaintextSecretIsRenderedOutsideTheGeneratedSecret(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);

        ChartPolicies.AssertNone(ChartPolicies.PlaintextSecrets(WithoutGeneratedSecret(chart)), "plaintext secrets");
        // Every secret-looking setting is read from a Secret, never given as a value.
        foreach (var name in new[] { "ConnectionStrings__Storefleet", "ConnectionStrings__Redis", "Auth__SigningKey", "Secrets__EncryptionKey", "Admin__Password", "POSTGRES_PASSWORD", "REDIS_PASSWORD" })
        {
            Assert.All(AllEnv(chart).Where(e => e.Name == name), e =>
            {
                Assert.Null(e.Value);
                Assert.NotNull(e.ValueFrom.SecretKeyRef);
            });
        }
    }

    [Fact]
    public void ProductionRendersNoSecretAndReadsOnlyTheOperatorsSecrets()
    {
        var chart = PlatformChart.Render("values-prod.yaml");

        Assert.Empty(chart.OfType<V1Secret>());
        var referenced = AllEnv(chart).Where(e => e.ValueFrom?.SecretKeyRef is not null)
            .Select(e => $"{e.ValueFrom.SecretKeyRef.Name}/{e.ValueFrom.SecretKeyRef.Key}").ToHashSet();
        Assert.Equal(
            ["storefleet-postgres/connection-string", "storefleet-redis/connection-string",
             "storefleet-secrets/admin-password", "storefleet-secrets/auth-signing-key", "storefleet-secrets/encryption-key"],
            referenced.Order());
    }

    [Theory]
    [InlineData("values.yaml")]
    [InlineData("values-local.yaml")]
    public void LocallyKeysArePasswordsGeneratedAtRandomIntoOneSecretThatOutlivesUninstall(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var secret = chart.Single<V1Secret>(PlatformChart.GeneratedSecret);
        string Value(V1Secret s, string key) => Encoding.UTF8.GetString(s.Data[key]);

        Assert.Equal("keep", secret.Metadata.Annotations["helm.sh/resource-policy"]);
        Assert.Equal(
            ["admin-password", "auth-signing-key", "database-connection-string", "encryption-key", "postgresql-password", "redis-connection-string", "redis-password"],
            secret.Data.Keys.Order());
        // What the binary demands of them (AuthSetup, CredentialProtector, CredentialRules).
        Assert.True(Encoding.UTF8.GetByteCount(Value(secret, "auth-signing-key")) >= 32);
        Assert.Equal(32, Convert.FromBase64String(Value(secret, "encryption-key")).Length);
        Assert.Empty(Storefleet.Auth.CredentialRules.PasswordProblems(Value(secret, "admin-password"), "admin@storefleet.local"));
        Assert.Contains($"Password={Value(secret, "postgresql-password")}", Value(secret, "database-connection-string"));
        Assert.Contains($"password={Value(secret, "redis-password")}", Value(secret, "redis-connection-string"));
        Assert.StartsWith("Host=storefleet-postgresql;Port=5432;", Value(secret, "database-connection-string"));

        // Random: another render (no cluster to look up) draws other values.
        var again = PlatformChart.Harness.Template(PlatformChart.Dir, PlatformChart.Release, PlatformChart.Namespace, PlatformChart.ValuesFor(valuesFile))
            .Single<V1Secret>(PlatformChart.GeneratedSecret);
        foreach (var key in new[] { "admin-password", "auth-signing-key", "encryption-key", "postgresql-password", "redis-password" })
        {
            Assert.NotEqual(Value(secret, key), Value(again, key));
        }

        // No generated value leaks into an env literal, an argument or anywhere else in the manifest.
        var rest = WithoutGeneratedSecret(chart);
        foreach (var key in secret.Data.Keys)
        {
            Assert.DoesNotContain(Value(secret, key), rest.Yaml);
        }
    }

    [Theory]
    [InlineData("admin.password")]
    [InlineData("postgresql.bundled.password")]
    [InlineData("postgresql.external.password")]
    [InlineData("redis.bundled.password")]
    [InlineData("secrets.authSigningKey")]
    [InlineData("secrets.encryptionKey")]
    public void APasswordOrKeyInValuesIsRefused(string key)
    {
        // Helm keeps values readable in the release (helm get values): secrets live in Secrets only.
        var result = PlatformChart.TryRender("values-local.yaml", new Dictionary<string, string> { [key] = "hunter2hunter2" });

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("additional properties", result.StdErr);
    }

    [Fact]
    public void AnExternalDatabaseNeedsTheOperatorsSecretBecauseMigrationsRunBeforeInstall()
    {
        var result = PlatformChart.TryRender("values-prod.yaml", new Dictionary<string, string> { ["secrets.existingSecret"] = "" });

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("secrets.existingSecret is required with an external PostgreSQL", result.StdErr);
    }

    [Theory]
    [InlineData("postgresql.bundled.enabled", "false", "the platform needs PostgreSQL")]
    [InlineData("postgresql.external.existingSecret", "pg", "not both")]
    [InlineData("redis.external.existingSecret", "redis", "not both")]
    [InlineData("ingress.tls.enabled", "true", "ingress.tls.enabled needs")]
    public void AmbiguousOrIncompleteDataStoresAndTlsAreRefusedWithAMessage(string key, string value, string message)
    {
        var result = PlatformChart.TryRender("values-local.yaml", new Dictionary<string, string> { [key] = value });

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains(message, result.StdErr);
    }

    [Fact]
    public void WithOnlyTheDatabaseExternalTheGeneratedSecretHoldsJustRedis()
    {
        var chart = PlatformChart.Render("values-prod.yaml", new Dictionary<string, string>
        {
            ["redis.bundled.enabled"] = "true",
            ["redis.external.existingSecret"] = "",
        });

        var secret = chart.Single<V1Secret>(PlatformChart.GeneratedSecret);
        Assert.Equal(["redis-connection-string", "redis-password"], secret.Data.Keys.Order());
        Assert.Equal("storefleet-secrets", chart.Pod("api").Spec.Containers.Single().Env("Auth__SigningKey")!.ValueFrom.SecretKeyRef.Name);
    }
}
