using System.Text.RegularExpressions;
using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>
/// Policies every Storefleet chart's rendered output must meet. Each returns the violations it found,
/// one readable line each ("Deployment/x container y: no memory limit"), so that a test can assert
/// none and a failure lists all of them at once. <see cref="AssertNone"/> does that.
/// </summary>
public static partial class ChartPolicies
{
    public static void AssertNone(IReadOnlyList<string> violations, string policy)
    {
        if (violations.Count > 0)
        {
            Assert.Fail($"{policy}: {violations.Count} violation(s):\n  " + string.Join("\n  ", violations));
        }
    }

    /// <summary>Every container, init containers too, requests and limits both cpu and memory.</summary>
    public static IReadOnlyList<string> ContainersWithoutRequestsAndLimits(RenderedChart chart) =>
        [.. from pod in chart.Pods
            from c in pod.AllContainers
            from kind in new[] { "requests", "limits" }
            from resource in new[] { "cpu", "memory" }
            let values = kind == "requests" ? c.Container.Resources?.Requests : c.Container.Resources?.Limits
            where values is null || !values.ContainsKey(resource)
            select $"{pod} container {c.Container.Name}: no {resource} {kind}"];

    /// <summary>Every long-running container has startup, readiness and liveness probes (Jobs are exempt).</summary>
    public static IReadOnlyList<string> LongRunningContainersWithoutProbes(RenderedChart chart)
    {
        var violations = new List<string>();
        foreach (var pod in chart.Pods.Where(p => p.IsLongRunning))
        {
            foreach (var c in pod.Spec.Containers)
            {
                if (c.StartupProbe is null) violations.Add($"{pod} container {c.Name}: no startupProbe");
                if (c.ReadinessProbe is null) violations.Add($"{pod} container {c.Name}: no readinessProbe");
                if (c.LivenessProbe is null) violations.Add($"{pod} container {c.Name}: no livenessProbe");
            }
        }
        return violations;
    }

    static readonly HashSet<string> RestrictedVolumeTypes = ["ConfigMap", "Csi", "DownwardAPI", "EmptyDir", "Ephemeral", "PersistentVolumeClaim", "Projected", "Secret"];

    /// <summary>
    /// The Pod Security Standard "restricted", checked on the manifest: non-root, no privilege escalation,
    /// all capabilities dropped (NET_BIND_SERVICE may be added back), RuntimeDefault/Localhost seccomp,
    /// no host namespaces, ports or paths, and only the volume types the profile allows.
    /// </summary>
    public static IReadOnlyList<string> ContainersNotRestricted(RenderedChart chart)
    {
        var violations = new List<string>();
        foreach (var pod in chart.Pods)
        {
            var podSc = pod.Spec.SecurityContext;
            if (pod.Spec.HostNetwork == true) violations.Add($"{pod}: hostNetwork");
            if (pod.Spec.HostPID == true) violations.Add($"{pod}: hostPID");
            if (pod.Spec.HostIPC == true) violations.Add($"{pod}: hostIPC");
            if (podSc?.RunAsUser == 0) violations.Add($"{pod}: runAsUser 0");
            foreach (var volume in pod.Spec.Volumes ?? [])
            {
                var types = typeof(V1Volume).GetProperties()
                    .Where(p => p.Name != nameof(V1Volume.Name) && p.GetValue(volume) is not null)
                    .Select(p => p.Name);
                foreach (var type in types.Where(t => !RestrictedVolumeTypes.Contains(t)))
                {
                    violations.Add($"{pod} volume {volume.Name}: {type} is not allowed by the restricted profile");
                }
            }
            foreach (var (c, _) in pod.AllContainers)
            {
                var sc = c.SecurityContext;
                var where = $"{pod} container {c.Name}";
                if (sc?.Privileged == true) violations.Add($"{where}: privileged");
                if (sc?.AllowPrivilegeEscalation != false) violations.Add($"{where}: allowPrivilegeEscalation is not false");
                if ((sc?.RunAsNonRoot ?? podSc?.RunAsNonRoot) != true) violations.Add($"{where}: runAsNonRoot is not true");
                if (sc?.RunAsUser == 0) violations.Add($"{where}: runAsUser 0");
                if (sc?.Capabilities?.Drop?.Contains("ALL") != true) violations.Add($"{where}: capabilities do not drop ALL");
                foreach (var added in (sc?.Capabilities?.Add ?? []).Where(a => a != "NET_BIND_SERVICE"))
                {
                    violations.Add($"{where}: adds capability {added}");
                }
                var seccomp = sc?.SeccompProfile?.Type ?? podSc?.SeccompProfile?.Type;
                if (seccomp is not ("RuntimeDefault" or "Localhost")) violations.Add($"{where}: seccompProfile is {seccomp ?? "unset"}, not RuntimeDefault");
                if ((c.Ports ?? []).Any(p => p.HostPort is > 0)) violations.Add($"{where}: hostPort");
            }
        }
        return violations;
    }

    /// <summary>Every image names a tag other than "latest", or a digest.</summary>
    public static IReadOnlyList<string> UnpinnedImages(RenderedChart chart)
    {
        var violations = new List<string>();
        foreach (var pod in chart.Pods)
        {
            foreach (var (c, _) in pod.AllContainers)
            {
                var image = c.Image ?? "";
                if (image.Contains("@sha256:"))
                {
                    continue;
                }
                var lastSegment = image[(image.LastIndexOf('/') + 1)..];
                var tag = lastSegment.Contains(':') ? lastSegment[(lastSegment.IndexOf(':') + 1)..] : "";
                if (tag.Length == 0) violations.Add($"{pod} container {c.Name}: image '{image}' has no tag");
                else if (tag == "latest") violations.Add($"{pod} container {c.Name}: image '{image}' uses latest");
            }
        }
        return violations;
    }

    [GeneratedRegex(@"(?i)(passw(or)?d|passwd|secret|token|api_?key|private_?key|credential|salt)")]
    private static partial Regex SecretLikeName();

    // "password: hunter2hunter2", "PASSWORD=abc12345": a secret-looking word, then an 8+ character literal.
    [GeneratedRegex(@"(?i)(passw(or)?d|secret|token)[""']?\s*[:=]\s*[""']?[A-Za-z0-9+/_\-]{8,}")]
    private static partial Regex SecretLikeAssignment();

    /// <summary>
    /// No password in the output: no Secret with data (unless its name is allowed), no env var with a
    /// secret-looking name and a literal value (…_FILE paths are fine), no ConfigMap key with a
    /// secret-looking name, and no "password: literal" text anywhere.
    /// </summary>
    public static IReadOnlyList<string> PlaintextSecrets(RenderedChart chart, IReadOnlySet<string>? allowedSecrets = null)
    {
        var violations = new List<string>();
        foreach (var secret in chart.OfType<V1Secret>())
        {
            if ((secret.Data?.Count > 0 || secret.StringData?.Count > 0) && allowedSecrets?.Contains(secret.Metadata.Name) != true)
            {
                violations.Add($"Secret/{secret.Metadata.Name} carries data in the manifest");
            }
        }
        foreach (var pod in chart.Pods)
        {
            foreach (var (c, _) in pod.AllContainers)
            {
                foreach (var env in c.Env ?? [])
                {
                    if (!string.IsNullOrEmpty(env.Value) && SecretLikeName().IsMatch(env.Name) && !env.Name.EndsWith("_FILE", StringComparison.Ordinal))
                    {
                        violations.Add($"{pod} container {c.Name}: env {env.Name} has a literal value");
                    }
                }
            }
        }
        foreach (var map in chart.OfType<V1ConfigMap>())
        {
            foreach (var key in (map.Data?.Keys ?? []).Where(k => SecretLikeName().IsMatch(k)))
            {
                violations.Add($"ConfigMap/{map.Metadata.Name} has a key named {key}");
            }
        }
        foreach (Match m in SecretLikeAssignment().Matches(chart.Yaml))
        {
            violations.Add($"text looks like a secret literal: '{m.Value}'");
        }
        return violations;
    }

    /// <summary>
    /// Every object, and every pod template, carries the given labels. A null expected value means
    /// "present, any value".
    /// </summary>
    public static IReadOnlyList<string> MissingLabels(RenderedChart chart, IReadOnlyDictionary<string, string?> required, IEnumerable<string>? requiredOnPods = null)
    {
        var violations = new List<string>();
        void Check(string where, IDictionary<string, string>? labels, IEnumerable<KeyValuePair<string, string?>> expected)
        {
            foreach (var (key, value) in expected)
            {
                if (labels is null || !labels.TryGetValue(key, out var actual))
                {
                    violations.Add($"{where}: no label {key}");
                }
                else if (value is not null && actual != value)
                {
                    violations.Add($"{where}: label {key}={actual}, expected {value}");
                }
            }
        }
        foreach (var o in chart.Objects)
        {
            Check(o.ToString(), o.Object.Metadata.Labels, required);
        }
        var podLabels = required.Concat((requiredOnPods ?? []).Select(k => new KeyValuePair<string, string?>(k, null))).ToList();
        foreach (var pod in chart.Pods)
        {
            Check($"{pod} pod template", pod.Metadata?.Labels, podLabels);
        }
        return violations;
    }

    /// <summary>No pod mounts a service account token (pods do not talk to the Kubernetes API).</summary>
    public static IReadOnlyList<string> MountedServiceAccountTokens(RenderedChart chart)
    {
        var accountsWithoutToken = chart.OfType<V1ServiceAccount>()
            .Where(sa => sa.AutomountServiceAccountToken == false).Select(sa => sa.Metadata.Name).ToHashSet();
        return [.. from pod in chart.Pods
                   where pod.Spec.AutomountServiceAccountToken != false
                   let account = pod.Spec.ServiceAccountName ?? "default"
                   where !accountsWithoutToken.Contains(account)
                   select $"{pod}: mounts a service account token (set automountServiceAccountToken: false)"];
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    /// <summary>
    /// What strict deserialization cannot see: required fields and names the API server validates
    /// (object names, label values, container names), workload selectors that match their pod template,
    /// and references that must resolve inside the chart: Services to pods and named ports, Ingress
    /// backends to Services, volumes to rendered ConfigMaps and PVCs, mounts to volumes, secret refs to
    /// the allowed external Secrets.
    /// </summary>
    public static IReadOnlyList<string> MalformedObjects(RenderedChart chart, IReadOnlySet<string>? externalSecrets = null)
    {
        var violations = new List<string>();
        foreach (var o in chart.Objects)
        {
            var meta = o.Object.Metadata;
            if (string.IsNullOrEmpty(meta?.Name)) { violations.Add($"{o.Kind} from {o.Source}: no metadata.name"); continue; }
            var nameOk = o.Kind == "Service" ? meta.Name.Length <= 63 && Dns1123Label().IsMatch(meta.Name)
                                             : meta.Name.Length <= 253 && Dns1123Subdomain().IsMatch(meta.Name);
            if (!nameOk) violations.Add($"{o}: invalid name");
            foreach (var (key, value) in meta.Labels ?? new Dictionary<string, string>())
            {
                if (value.Length > 63 || !LabelValue().IsMatch(value)) violations.Add($"{o}: label {key} has an invalid value '{value}'");
            }
        }

        foreach (var pod in chart.Pods)
        {
            var podLabels = pod.Metadata?.Labels ?? new Dictionary<string, string>();
            var selector = pod.Owner.Object switch
            {
                V1Deployment d => d.Spec.Selector,
                V1StatefulSet s => s.Spec.Selector,
                V1DaemonSet ds => ds.Spec.Selector,
                V1ReplicaSet rs => rs.Spec.Selector,
                _ => null,
            };
            if (selector is not null && !Selects(selector, podLabels)) violations.Add($"{pod}: selector does not match the pod template's labels");
            if (pod.Owner.Object is V1StatefulSet sts && !chart.OfType<V1Service>().Any(s => s.Metadata.Name == sts.Spec.ServiceName))
            {
                violations.Add($"{pod}: serviceName {sts.Spec.ServiceName} is not rendered");
            }
            if ((pod.Spec.Containers ?? []).Count == 0) violations.Add($"{pod}: no containers");

            var volumes = (pod.Spec.Volumes ?? []).Select(v => v.Name).ToHashSet();
            if (pod.Owner.Object is V1StatefulSet claimer)
            {
                volumes.UnionWith((claimer.Spec.VolumeClaimTemplates ?? []).Select(t => t.Metadata.Name));
            }
            var names = new HashSet<string>();
            foreach (var (c, _) in pod.AllContainers)
            {
                var where = $"{pod} container {c.Name}";
                if (string.IsNullOrEmpty(c.Name) || !Dns1123Label().IsMatch(c.Name)) violations.Add($"{pod}: container name '{c.Name}' is invalid");
                if (!names.Add(c.Name ?? "")) violations.Add($"{where}: duplicate container name");
                if (string.IsNullOrWhiteSpace(c.Image)) violations.Add($"{where}: no image");
                foreach (var mount in c.VolumeMounts ?? [])
                {
                    if (!volumes.Contains(mount.Name)) violations.Add($"{where}: mounts undeclared volume {mount.Name}");
                }
                foreach (var env in c.Env ?? [])
                {
                    if (env.ValueFrom?.SecretKeyRef is { } secretRef && externalSecrets?.Contains(secretRef.Name) != true
                        && !chart.OfType<V1Secret>().Any(s => s.Metadata.Name == secretRef.Name))
                    {
                        violations.Add($"{where}: env {env.Name} reads Secret {secretRef.Name}, which is neither rendered nor allowed");
                    }
                    if (env.ValueFrom?.ConfigMapKeyRef is { } mapRef && !chart.OfType<V1ConfigMap>().Any(m => m.Metadata.Name == mapRef.Name && m.Data?.ContainsKey(mapRef.Key) == true))
                    {
                        violations.Add($"{where}: env {env.Name} reads ConfigMap key {mapRef.Name}/{mapRef.Key}, which is not rendered");
                    }
                }
            }
            foreach (var volume in pod.Spec.Volumes ?? [])
            {
                if (volume.ConfigMap is { } map && map.Optional != true && !chart.OfType<V1ConfigMap>().Any(m => m.Metadata.Name == map.Name))
                {
                    violations.Add($"{pod} volume {volume.Name}: ConfigMap {map.Name} is not rendered");
                }
                if (volume.PersistentVolumeClaim is { } claim && !chart.OfType<V1PersistentVolumeClaim>().Any(p => p.Metadata.Name == claim.ClaimName))
                {
                    violations.Add($"{pod} volume {volume.Name}: PersistentVolumeClaim {claim.ClaimName} is not rendered");
                }
                if (volume.Secret is { } secretVolume && secretVolume.Optional != true && externalSecrets?.Contains(secretVolume.SecretName) != true
                    && !chart.OfType<V1Secret>().Any(s => s.Metadata.Name == secretVolume.SecretName))
                {
                    violations.Add($"{pod} volume {volume.Name}: Secret {secretVolume.SecretName} is neither rendered nor allowed");
                }
            }
        }

        foreach (var service in chart.OfType<V1Service>().Where(s => s.Spec.Selector is { Count: > 0 }))
        {
            var selected = chart.Pods.Where(p => p.Metadata?.Labels is { } l && service.Spec.Selector.All(kv => l.TryGetValue(kv.Key, out var v) && v == kv.Value)).ToList();
            if (selected.Count == 0)
            {
                violations.Add($"Service/{service.Metadata.Name}: selects no pod of the chart");
                continue;
            }
            foreach (var port in service.Spec.Ports ?? [])
            {
                var target = port.TargetPort?.Value;
                if (target is not null && !int.TryParse(target, out _)
                    && !selected.All(p => p.Spec.Containers.Any(c => (c.Ports ?? []).Any(cp => cp.Name == target))))
                {
                    violations.Add($"Service/{service.Metadata.Name}: targetPort {target} is not a named port of the selected pods");
                }
            }
        }

        foreach (var ingress in chart.OfType<V1Ingress>())
        {
            var backends = (ingress.Spec.Rules ?? []).SelectMany(r => r.Http?.Paths ?? []).Select(p => p.Backend.Service);
            foreach (var backend in backends.Where(b => b is not null))
            {
                var service = chart.OfType<V1Service>().FirstOrDefault(s => s.Metadata.Name == backend!.Name);
                if (service is null) violations.Add($"Ingress/{ingress.Metadata.Name}: backend Service {backend!.Name} is not rendered");
                else if (backend!.Port?.Name is { } portName && !(service.Spec.Ports ?? []).Any(p => p.Name == portName))
                {
                    violations.Add($"Ingress/{ingress.Metadata.Name}: Service {backend.Name} has no port named {portName}");
                }
            }
        }
        return violations;
    }

    /// <summary>Does the selector (matchLabels and matchExpressions) select these labels?</summary>
    public static bool Selects(V1LabelSelector selector, IDictionary<string, string> labels)
    {
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        }
        foreach (var e in selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(e.Key, out var actual);
            var ok = e.OperatorProperty switch
            {
                "In" => has && (e.Values ?? []).Contains(actual!),
                "NotIn" => !has || !(e.Values ?? []).Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>
    /// The chart fits its own ResourceQuota and LimitRange: everything it runs at once (each pod's
    /// effective request: max of the init containers and the sum of the containers, times replicas)
    /// stays within every hard limit, plus <paramref name="headroom"/> for pods others start in the
    /// namespace (e.g. cert-manager's solver); and no container or PVC exceeds the LimitRange max.
    /// </summary>
    public static IReadOnlyList<string> QuotaShortfalls(RenderedChart chart, IReadOnlyDictionary<string, string>? headroom = null)
    {
        var violations = new List<string>();
        var used = new Dictionary<string, decimal>();
        void Add(string key, decimal amount) => used[key] = used.GetValueOrDefault(key) + amount;
        decimal Q(IDictionary<string, ResourceQuantity>? values, string key) => values?.TryGetValue(key, out var q) == true ? q.ToDecimal() : 0m;

        foreach (var pod in chart.Pods)
        {
            Add("pods", pod.Replicas);
            foreach (var (kind, resource) in new[] { ("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory") })
            {
                decimal Of(V1Container c) => Q(kind == "requests" ? c.Resources?.Requests : c.Resources?.Limits, resource);
                var containers = pod.Spec.Containers.Sum(Of);
                var init = (pod.Spec.InitContainers ?? []).Select(Of).DefaultIfEmpty(0m).Max();
                Add($"{kind}.{resource}", Math.Max(containers, init) * pod.Replicas);
            }
            if (pod.Owner.Object is V1StatefulSet sts)
            {
                foreach (var claim in sts.Spec.VolumeClaimTemplates ?? [])
                {
                    Add("persistentvolumeclaims", pod.Replicas);
                    Add("requests.storage", Q(claim.Spec.Resources?.Requests, "storage") * pod.Replicas);
                }
            }
        }
        foreach (var claim in chart.OfType<V1PersistentVolumeClaim>())
        {
            Add("persistentvolumeclaims", 1);
            Add("requests.storage", Q(claim.Spec.Resources?.Requests, "storage"));
        }
        foreach (var (key, value) in headroom ?? new Dictionary<string, string>())
        {
            Add(key, new ResourceQuantity(value).ToDecimal());
        }

        var quotas = chart.OfType<V1ResourceQuota>().ToList();
        if (quotas.Count == 0) violations.Add("no ResourceQuota");
        foreach (var quota in quotas)
        {
            foreach (var (key, hard) in quota.Spec.Hard ?? new Dictionary<string, ResourceQuantity>())
            {
                if (hard.ToDecimal() < 0) violations.Add($"ResourceQuota/{quota.Metadata.Name}: {key} is negative");
                else if (used.GetValueOrDefault(key) > hard.ToDecimal())
                {
                    violations.Add($"ResourceQuota/{quota.Metadata.Name}: {key} is {hard}, the chart needs {used[key]:0.###}");
                }
            }
        }

        var ranges = chart.OfType<V1LimitRange>().SelectMany(r => r.Spec.Limits).ToList();
        if (ranges.Count == 0) violations.Add("no LimitRange");
        foreach (var max in ranges.Where(l => l.Type == "Container" && l.Max is not null).Select(l => l.Max))
        {
            foreach (var pod in chart.Pods)
            {
                foreach (var (c, _) in pod.AllContainers)
                {
                    foreach (var (resource, limit) in max)
                    {
                        if (Q(c.Resources?.Limits, resource) > limit.ToDecimal())
                        {
                            violations.Add($"{pod} container {c.Name}: {resource} limit above the LimitRange max {limit}");
                        }
                    }
                }
            }
        }
        foreach (var max in ranges.Where(l => l.Type == "PersistentVolumeClaim" && l.Max is not null).Select(l => l.Max))
        {
            var claims = chart.OfType<V1PersistentVolumeClaim>().Select(p => (Name: p.Metadata.Name, p.Spec))
                .Concat(chart.OfType<V1StatefulSet>().SelectMany(s => (s.Spec.VolumeClaimTemplates ?? []).Select(t => (Name: $"{s.Metadata.Name}/{t.Metadata.Name}", t.Spec))));
            foreach (var (name, spec) in claims)
            {
                if (max.TryGetValue("storage", out var limit) && Q(spec.Resources?.Requests, "storage") > limit.ToDecimal())
                {
                    violations.Add($"PersistentVolumeClaim {name}: larger than the LimitRange max {limit}");
                }
            }
        }
        return violations;
    }
}
