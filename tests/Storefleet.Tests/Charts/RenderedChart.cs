using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>One object of a rendered chart: its Kubernetes model and the template it came from.</summary>
public sealed record RenderedObject(IKubernetesObject<V1ObjectMeta> Object, string Source, string Yaml)
{
    public string Kind => Object.Kind;
    public string Name => Object.Metadata?.Name ?? "";
    public override string ToString() => $"{Kind}/{Name}";
}

/// <summary>A pod template found in a workload (Deployment, StatefulSet, Job, …) or a bare Pod.</summary>
public sealed record RenderedPod(RenderedObject Owner, V1ObjectMeta? Metadata, V1PodSpec Spec, int Replicas)
{
    /// <summary>Long-running pods must have probes; Jobs' pods run to completion.</summary>
    public bool IsLongRunning => Owner.Kind is "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet" or "Pod";

    /// <summary>A label of the pod template, or null.</summary>
    public string? Label(string key) => Metadata?.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : null;

    public IEnumerable<(V1Container Container, bool IsInit)> AllContainers =>
        (Spec.InitContainers ?? []).Select(c => (c, true)).Concat((Spec.Containers ?? []).Select(c => (c, false)));

    public override string ToString() => Owner.ToString();
}

/// <summary>
/// The output of <c>helm template</c>, every document deserialized into the KubernetesClient model of its
/// apiVersion/kind in strict mode: an unknown field, a wrong type, a malformed quantity or an
/// apiVersion/kind that is not part of the Kubernetes API fails the parse, naming the template.
/// </summary>
public sealed class RenderedChart
{
    public string Yaml { get; }
    public IReadOnlyList<RenderedObject> Objects { get; }

    RenderedChart(string yaml, IReadOnlyList<RenderedObject> objects)
    {
        Yaml = yaml;
        Objects = objects;
    }

    public static RenderedChart Parse(string yaml)
    {
        var objects = new List<RenderedObject>();
        foreach (var document in Regex.Split(yaml, @"^---[ \t]*$", RegexOptions.Multiline))
        {
            var meaningful = document.Split('\n').Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).ToList();
            if (meaningful.Count == 0)
            {
                continue;   // KubernetesYaml cannot load a document that is only comments
            }
            var source = Regex.Match(document, @"^# Source: (.+)$", RegexOptions.Multiline) is { Success: true } m
                ? m.Groups[1].Value.Trim()
                : "(unknown template)";
            object? parsed;
            try
            {
                var loaded = KubernetesYaml.LoadAllFromString(document, typeMap: null, strict: true);
                parsed = loaded.Single();
            }
            catch (Exception e)
            {
                var header = string.Join(' ', meaningful.Take(2).Select(l => l.Trim()));
                throw new InvalidDataException(
                    $"{source}: not a valid Kubernetes object ({header}): {Describe(e)}", e);
            }
            if (parsed is not IKubernetesObject<V1ObjectMeta> obj)
            {
                throw new InvalidDataException($"{source}: {parsed?.GetType().Name ?? "null"} has no object metadata");
            }
            objects.Add(new RenderedObject(obj, source, document));
        }
        return new RenderedChart(yaml, objects);
    }

    static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            messages.Add(inner is KeyNotFoundException
                ? "apiVersion/kind is not part of the Kubernetes API the client knows (" + inner.Message + ")"
                : inner.Message);
        }
        return string.Join(" -> ", messages.Distinct());
    }

    public IEnumerable<T> OfType<T>() => Objects.Select(o => o.Object).OfType<T>();

    public T Single<T>(string name) where T : IKubernetesObject<V1ObjectMeta> =>
        OfType<T>().SingleOrDefault(o => o.Metadata.Name == name)
        ?? throw new InvalidOperationException($"no {typeof(T).Name} named {name}; rendered: {string.Join(", ", Objects)}");

    /// <summary>Every pod the chart would run, with its owner and replica count (Jobs count once).</summary>
    public IEnumerable<RenderedPod> Pods
    {
        get
        {
            foreach (var o in Objects)
            {
                var pod = o.Object switch
                {
                    V1Deployment d => new RenderedPod(o, d.Spec.Template.Metadata, d.Spec.Template.Spec, d.Spec.Replicas ?? 1),
                    V1StatefulSet s => new RenderedPod(o, s.Spec.Template.Metadata, s.Spec.Template.Spec, s.Spec.Replicas ?? 1),
                    V1DaemonSet ds => new RenderedPod(o, ds.Spec.Template.Metadata, ds.Spec.Template.Spec, 1),
                    V1ReplicaSet rs => new RenderedPod(o, rs.Spec.Template.Metadata, rs.Spec.Template.Spec, rs.Spec.Replicas ?? 1),
                    V1Job j => new RenderedPod(o, j.Spec.Template.Metadata, j.Spec.Template.Spec, j.Spec.Parallelism ?? 1),
                    V1CronJob cj => new RenderedPod(o, cj.Spec.JobTemplate.Spec.Template.Metadata, cj.Spec.JobTemplate.Spec.Template.Spec, 1),
                    V1Pod p => new RenderedPod(o, p.Metadata, p.Spec, 1),
                    _ => null,
                };
                if (pod is not null)
                {
                    yield return pod;
                }
            }
        }
    }

    /// <summary>The pods whose template carries app.kubernetes.io/component=<paramref name="component"/>.</summary>
    public RenderedPod PodOf(string component) =>
        Pods.SingleOrDefault(p => p.Label("app.kubernetes.io/component") == component)
        ?? throw new InvalidOperationException($"no single workload with component={component}");
}
