using k8s.Models;

namespace Storefleet.Tests.Charts;

public static partial class ChartPolicies
{
    /// <summary>
    /// Every flow between the chart's own pods that its NetworkPolicies allow, evaluated as the
    /// Kubernetes NetworkPolicy semantics define it: a flow needs an egress allowance on the source
    /// (or no Egress policy selecting it) and an ingress allowance on the destination (or no Ingress
    /// policy selecting it); allowances are the union of the selecting policies' rules. Pods are named by
    /// <paramref name="nameLabel"/>; flows read "setup -> wordpress 8080/TCP" ("*" = any port).
    /// Peers with a namespaceSelector match the chart's pods only when the selector is empty (all namespaces).
    /// </summary>
    public static IReadOnlySet<string> AllowedFlowsBetweenPods(RenderedChart chart, string nameLabel = "app.kubernetes.io/component")
    {
        var policies = chart.OfType<V1NetworkPolicy>().ToList();
        var pods = chart.Pods.Select(p => (Name: p.Label(nameLabel) ?? p.Owner.Name, Labels: p.Metadata?.Labels ?? new Dictionary<string, string>(), Pod: p)).ToList();
        var flows = new HashSet<string>();
        foreach (var src in pods)
        {
            foreach (var dst in pods.Where(d => d.Name != src.Name))
            {
                var egress = AllowedPorts(policies, "Egress", src.Labels, dst.Labels, dst.Pod, p => p.Spec.Egress?.Select(r => ((IList<V1NetworkPolicyPeer>?)r.To, (IList<V1NetworkPolicyPort>?)r.Ports)));
                var ingress = AllowedPorts(policies, "Ingress", dst.Labels, src.Labels, dst.Pod, p => p.Spec.Ingress?.Select(r => ((IList<V1NetworkPolicyPeer>?)r.FromProperty, (IList<V1NetworkPolicyPort>?)r.Ports)));
                foreach (var port in Intersect(egress, ingress))
                {
                    flows.Add($"{src.Name} -> {dst.Name} {port}");
                }
            }
        }
        return flows;
    }

    /// <summary>The NetworkPolicies whose podSelector selects this pod and that cover the direction.</summary>
    public static IEnumerable<V1NetworkPolicy> PoliciesFor(RenderedChart chart, RenderedPod pod, string direction) =>
        chart.OfType<V1NetworkPolicy>().Where(p => Covers(p, direction) && Selects(p.Spec.PodSelector, pod.Metadata?.Labels ?? new Dictionary<string, string>()));

    static bool Covers(V1NetworkPolicy policy, string direction) =>
        policy.Spec.PolicyTypes?.Contains(direction)
        // Without policyTypes: Ingress always, Egress when egress rules are present.
        ?? (direction == "Ingress" || policy.Spec.Egress is not null);

    // null = unrestricted (no policy of that direction selects the pod); otherwise the allowed ports.
    static HashSet<string>? AllowedPorts(List<V1NetworkPolicy> policies, string direction, IDictionary<string, string> selectedPod,
        IDictionary<string, string> peerPod, RenderedPod destination, Func<V1NetworkPolicy, IEnumerable<(IList<V1NetworkPolicyPeer>? Peers, IList<V1NetworkPolicyPort>? Ports)>?> rules)
    {
        var selecting = policies.Where(p => Covers(p, direction) && Selects(p.Spec.PodSelector, selectedPod)).ToList();
        if (selecting.Count == 0)
        {
            return null;
        }
        var ports = new HashSet<string>();
        foreach (var (peers, rulePorts) in selecting.SelectMany(p => rules(p) ?? []))
        {
            var peerMatches = peers is null || peers.Count == 0 || peers.Any(peer =>
                peer.IpBlock is null
                && (peer.NamespaceSelector is null || IsEmpty(peer.NamespaceSelector))
                && (peer.PodSelector is null || Selects(peer.PodSelector, peerPod)));
            if (!peerMatches)
            {
                continue;
            }
            if (rulePorts is null || rulePorts.Count == 0)
            {
                ports.Add("*");
                continue;
            }
            foreach (var port in rulePorts)
            {
                ports.Add($"{ResolvePort(port.Port?.Value, destination)}/{port.Protocol ?? "TCP"}");
            }
        }
        return ports;
    }

    static bool IsEmpty(V1LabelSelector selector) =>
        (selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0;

    static string ResolvePort(string? port, RenderedPod destination)
    {
        if (port is null) return "*";
        if (int.TryParse(port, out _)) return port;
        var named = destination.Spec.Containers.SelectMany(c => c.Ports ?? []).FirstOrDefault(p => p.Name == port);
        return named?.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? port;
    }

    static IEnumerable<string> Intersect(HashSet<string>? egress, HashSet<string>? ingress)
    {
        if (egress is null && ingress is null) return ["*"];
        if (egress is null) return ingress!;
        if (ingress is null) return egress;
        if (egress.Contains("*")) return ingress;
        if (ingress.Contains("*")) return egress;
        return egress.Intersect(ingress);
    }
}
