namespace Storefleet.Tests.Charts;

/// <summary>
/// The reusable policies catch what they promise to catch, on small hand-written manifests (so that a
/// chart passing them means something).
/// </summary>
public class ChartPoliciesTests
{
    const string CompliantPod = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: { app.kubernetes.io/name: web, app.kubernetes.io/component: web }
        spec:
          selector: { matchLabels: { app.kubernetes.io/name: web } }
          template:
            metadata:
              labels: { app.kubernetes.io/name: web, app.kubernetes.io/component: web }
            spec:
              automountServiceAccountToken: false
              securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: RuntimeDefault } }
              containers:
                - name: web
                  image: nginx:1.27.3
                  env: [{ name: DB_PASSWORD_FILE, value: /run/secrets/db }]
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
                  resources: { requests: { cpu: 10m, memory: 16Mi }, limits: { cpu: 100m, memory: 64Mi } }
                  startupProbe: { tcpSocket: { port: 80 } }
                  readinessProbe: { tcpSocket: { port: 80 } }
                  livenessProbe: { tcpSocket: { port: 80 } }
        """;

    static RenderedChart Chart(string yaml) => RenderedChart.Parse(yaml);

    static RenderedChart Mutated(string from, string to)
    {
        Assert.Contains(from, CompliantPod);
        return Chart(CompliantPod.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public void ACompliantWorkloadHasNoViolations()
    {
        var chart = Chart(CompliantPod);

        Assert.Empty(ChartPolicies.ContainersWithoutRequestsAndLimits(chart));
        Assert.Empty(ChartPolicies.LongRunningContainersWithoutProbes(chart));
        Assert.Empty(ChartPolicies.ContainersNotRestricted(chart));
        Assert.Empty(ChartPolicies.UnpinnedImages(chart));
        Assert.Empty(ChartPolicies.PlaintextSecrets(chart));
        Assert.Empty(ChartPolicies.MountedServiceAccountTokens(chart));
        Assert.Empty(ChartPolicies.MalformedObjects(chart));
    }

    [Fact]
    public void AMissingMemoryLimitIsCaught() =>
        Assert.Contains("Deployment/web container web: no memory limits",
            ChartPolicies.ContainersWithoutRequestsAndLimits(Mutated("limits: { cpu: 100m, memory: 64Mi }", "limits: { cpu: 100m }")));

    [Fact]
    public void AMissingProbeIsCaught() =>
        Assert.Contains("Deployment/web container web: no startupProbe",
            ChartPolicies.LongRunningContainersWithoutProbes(Mutated("startupProbe: { tcpSocket: { port: 80 } }", "")));

    [Theory]
    [InlineData("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "allowPrivilegeEscalation is not false")]
    [InlineData("drop: [ALL]", "drop: [NET_RAW]", "capabilities do not drop ALL")]
    [InlineData("runAsNonRoot: true, runAsUser: 1000", "runAsUser: 1000", "runAsNonRoot is not true")]
    [InlineData("seccompProfile: { type: RuntimeDefault }", "fsGroup: 1000", "seccompProfile is unset")]
    [InlineData("automountServiceAccountToken: false", "hostNetwork: true", "hostNetwork")]
    public void AnUnrestrictedSecurityContextIsCaught(string from, string to, string violation) =>
        Assert.Contains(ChartPolicies.ContainersNotRestricted(Mutated(from, to)), v => v.Contains(violation, StringComparison.Ordinal));

    [Theory]
    [InlineData("nginx:latest", "uses latest")]
    [InlineData("registry.local:5000/nginx", "has no tag")]
    public void UnpinnedImagesAreCaught(string image, string violation) =>
        Assert.Contains(ChartPolicies.UnpinnedImages(Mutated("nginx:1.27.3", image)), v => v.Contains(violation, StringComparison.Ordinal));

    [Fact]
    public void APasswordInAnEnvValueOrASecretIsCaught()
    {
        Assert.Contains("Deployment/web container web: env DB_PASSWORD has a literal value",
            ChartPolicies.PlaintextSecrets(Mutated("DB_PASSWORD_FILE, value: /run/secrets/db", "DB_PASSWORD, value: hunter2")));
        var secret = Chart("""
            apiVersion: v1
            kind: Secret
            metadata: { name: creds }
            stringData: { password: hunter2hunter2 }
            """);
        var violations = ChartPolicies.PlaintextSecrets(secret);
        Assert.Contains("Secret/creds carries data in the manifest", violations);
        Assert.Contains(violations, v => v.Contains("password: hunter2hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public void AWorkloadWhoseSelectorMissesItsPodsIsCaught() =>
        Assert.Contains("Deployment/web: selector does not match the pod template's labels",
            ChartPolicies.MalformedObjects(Mutated("selector: { matchLabels: { app.kubernetes.io/name: web } }", "selector: { matchLabels: { app: other } }")));

    [Fact]
    public void MissingLabelsAreCaught()
    {
        var required = new Dictionary<string, string?> { ["app.kubernetes.io/part-of"] = "storefleet" };

        Assert.Contains("Deployment/web: no label app.kubernetes.io/part-of", ChartPolicies.MissingLabels(Chart(CompliantPod), required));
    }

    [Fact]
    public void AnUnknownFieldFailsTheStrictParse()
    {
        var e = Assert.Throws<InvalidDataException>(() => Mutated("image: nginx:1.27.3", "image: nginx:1.27.3\n          imagePullPolcy: Always"));

        Assert.Contains("imagePullPolcy", e.Message);
    }

    [Fact]
    public void AKindOutsideTheKubernetesApiFailsTheParse()
    {
        var e = Assert.Throws<InvalidDataException>(() => Chart("apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n"));

        Assert.Contains("not part of the Kubernetes API", e.Message);
    }

    [Fact]
    public void AQuotaTooSmallForTheWorkloadIsCaught()
    {
        var chart = Chart(CompliantPod + """

            ---
            apiVersion: v1
            kind: ResourceQuota
            metadata: { name: q }
            spec: { hard: { limits.memory: 32Mi, pods: "1" } }
            ---
            apiVersion: v1
            kind: LimitRange
            metadata: { name: l }
            spec: { limits: [{ type: Container, max: { cpu: 50m } }] }
            """);

        var violations = ChartPolicies.QuotaShortfalls(chart);

        Assert.Contains("ResourceQuota/q: limits.memory is 32Mi, the chart needs 67108864", violations);
        Assert.Contains("Deployment/web container web: cpu limit above the LimitRange max 50m", violations);
    }

    [Fact]
    public void NetworkFlowsFollowPolicySemantics()
    {
        var chart = Chart("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: a }
            spec:
              selector: { matchLabels: { c: a } }
              template: { metadata: { labels: { c: a } }, spec: { containers: [{ name: a, image: a:1 }] } }
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: b }
            spec:
              selector: { matchLabels: { c: b } }
              template: { metadata: { labels: { c: b } }, spec: { containers: [{ name: b, image: b:1, ports: [{ name: http, containerPort: 8080 }] }] } }
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny }
            spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: a-out }
            spec:
              podSelector: { matchLabels: { c: a } }
              policyTypes: [Egress]
              egress: [{ to: [{ podSelector: { matchLabels: { c: b } } }], ports: [{ port: http }] }]
            """);

        // a may send, but nothing lets b receive: no flow.
        Assert.Empty(ChartPolicies.AllowedFlowsBetweenPods(chart, "c"));

        var withIngress = Chart(chart.Yaml + """

            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: b-in }
            spec:
              podSelector: { matchLabels: { c: b } }
              ingress: [{ from: [{ podSelector: { matchLabels: { c: a } } }], ports: [{ port: 8080 }] }]
            """);
        Assert.Equal(["a -> b 8080/TCP"], ChartPolicies.AllowedFlowsBetweenPods(withIngress, "c"));
    }
}
