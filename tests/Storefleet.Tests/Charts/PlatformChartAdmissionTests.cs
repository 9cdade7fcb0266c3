using System.Text.Json;
using Cel;
using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>
/// The ValidatingAdmissionPolicy that fences the worker's writes (templates/admission-worker.yaml): rendered,
/// bound, matched to the worker's ServiceAccount only, and its CEL evaluated against admission requests the
/// way the API server builds them (request, object, oldObject, namespaceObject, variables). The expressions run
/// on a C# CEL implementation, not on the API server's cel-go with Kubernetes' libraries: this proves the logic,
/// not the enforcement, which needs a real API server (docs/security.md).
/// </summary>
public class PlatformChartAdmissionTests
{
    private const string Worker = "system:serviceaccount:storefleet:storefleet-worker";
    private const string StoreRole = PlatformChartRbacTests.StoreRole;

    private static V1ValidatingAdmissionPolicy Policy(string valuesFile = "values-prod.yaml") =>
        PlatformChart.Render(valuesFile).OfType<V1ValidatingAdmissionPolicy>().Single();

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void ThePolicyIsBoundToDenyAndAppliesToEveryWriteOfTheWorkerOnly(string valuesFile)
    {
        var chart = PlatformChart.Render(valuesFile);
        var policy = chart.OfType<V1ValidatingAdmissionPolicy>().Single();
        var binding = chart.OfType<V1ValidatingAdmissionPolicyBinding>().Single();

        Assert.Equal("storefleet-storefleet-worker-fence", policy.Metadata.Name);
        Assert.Equal(policy.Metadata.Name, binding.Spec.PolicyName);
        Assert.Equal(["Deny"], binding.Spec.ValidationActions);
        Assert.Null(binding.Spec.MatchResources); // everything the policy matches
        Assert.Null(binding.Spec.ParamRef);
        Assert.Equal("Fail", policy.Spec.FailurePolicy);
        var rule = Assert.Single(policy.Spec.MatchConstraints.ResourceRules);
        Assert.Equal(("*", "*", "*/*"), (string.Join(",", rule.ApiGroups), string.Join(",", rule.ApiVersions), string.Join(",", rule.Resources)));
        Assert.Equal(["CONNECT", "CREATE", "DELETE", "UPDATE"], rule.Operations.Order());
        Assert.Null(policy.Spec.MatchConstraints.NamespaceSelector?.MatchLabels);
        var condition = Assert.Single(policy.Spec.MatchConditions);
        Assert.Equal($"request.userInfo.username == '{Worker}'", condition.Expression);
    }

    [Fact]
    public void TheValidationsNameTheManagedLabelTheTokenTypeAndTheStoreRole()
    {
        var expressions = string.Join("\n", Policy().Spec.Validations.Select(v => v.Expression).Concat(Policy().Spec.Variables.Select(v => v.Expression)));

        Assert.Contains("'app.kubernetes.io/managed-by' && namespaceObject.metadata.labels[k] == 'storefleet'", expressions);
        Assert.Contains("object.type == 'kubernetes.io/service-account-token'", expressions);
        Assert.Contains($"object.roleRef.name == '{StoreRole}'", expressions);
        Assert.Contains("s.name == 'storefleet-worker' && has(s.namespace) && s.namespace == 'storefleet'", expressions);
        Assert.Contains("'pod-security.kubernetes.io/enforce' && variables.namespaceLabels[k] == 'restricted'", expressions);
        Assert.All(Policy().Spec.Validations, v => Assert.Equal("Forbidden", v.Reason));
        Assert.All(Policy().Spec.Validations, v => Assert.Contains("storefleet", v.Message));
    }

    // ---- the CEL, evaluated ----

    private static readonly string StoreNamespace = """{"metadata":{"name":"store-ana","labels":{"app.kubernetes.io/managed-by":"storefleet","storefleet.dev/store-id":"01a21504-15d9-7ec7-beaa-69560c88be5a","pod-security.kubernetes.io/enforce":"restricted"}}}""";
    private static readonly string KubeSystem = """{"metadata":{"name":"kube-system","labels":{"kubernetes.io/metadata.name":"kube-system"}}}""";
    private static readonly string Platform = """{"metadata":{"name":"storefleet","labels":{"kubernetes.io/metadata.name":"storefleet"}}}""";
    private static string Binding(string role, string subjects) => $$"""{"metadata":{"name":"storefleet-worker"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{{role}}"},"subjects":{{subjects}}}""";
    private const string WorkerSubject = """[{"kind":"ServiceAccount","name":"storefleet-worker","namespace":"storefleet"}]""";

    public sealed record Request(string Case, bool Allowed, string Operation, string Group, string Resource, string Namespace, string? Object, string? OldObject, string? NamespaceObject, string User = Worker)
    {
        public override string ToString() => Case;
    }

    public static TheoryData<Request> Requests => new(
        // namespaces
        new Request("create a store namespace with all its labels", true, "CREATE", "", "namespaces", "store-ana", StoreNamespace, null, null),
        new Request("create a namespace without managed-by", false, "CREATE", "", "namespaces", "evil", """{"metadata":{"name":"evil","labels":{"pod-security.kubernetes.io/enforce":"restricted","storefleet.dev/store-id":"x"}}}""", null, null),
        new Request("create a namespace without labels at all", false, "CREATE", "", "namespaces", "evil", """{"metadata":{"name":"evil"}}""", null, null),
        new Request("create a managed namespace without Pod Security restricted", false, "CREATE", "", "namespaces", "store-x", """{"metadata":{"name":"store-x","labels":{"app.kubernetes.io/managed-by":"storefleet","storefleet.dev/store-id":"x","pod-security.kubernetes.io/enforce":"privileged"}}}""", null, null),
        new Request("create a managed namespace without a store id", false, "CREATE", "", "namespaces", "store-x", """{"metadata":{"name":"store-x","labels":{"app.kubernetes.io/managed-by":"storefleet","pod-security.kubernetes.io/enforce":"restricted"}}}""", null, null),
        new Request("delete a store namespace", true, "DELETE", "", "namespaces", "store-ana", null, StoreNamespace, null),
        new Request("delete kube-system", false, "DELETE", "", "namespaces", "kube-system", null, KubeSystem, null),
        new Request("delete the platform's namespace", false, "DELETE", "", "namespaces", "storefleet", null, Platform, null),
        // writes inside namespaces
        new Request("create the credentials Secret in a store namespace", true, "CREATE", "", "secrets", "store-ana", """{"metadata":{"name":"store-credentials"},"type":"Opaque"}""", null, StoreNamespace),
        new Request("update a helm release record in a store namespace", true, "UPDATE", "", "secrets", "store-ana", """{"metadata":{"name":"sh.helm.release.v1.ana.v2"},"type":"helm.sh/release.v1"}""", """{"metadata":{"name":"sh.helm.release.v1.ana.v2"},"type":"helm.sh/release.v1"}""", StoreNamespace),
        new Request("create a ServiceAccount token Secret in a store namespace", false, "CREATE", "", "secrets", "store-ana", """{"metadata":{"name":"t","annotations":{"kubernetes.io/service-account.name":"default"}},"type":"kubernetes.io/service-account-token"}""", null, StoreNamespace),
        new Request("create a Deployment in a store namespace", true, "CREATE", "apps", "deployments", "store-ana", """{"metadata":{"name":"ana-wordpress"}}""", null, StoreNamespace),
        new Request("delete a Deployment in a store namespace (helm uninstall)", true, "DELETE", "apps", "deployments", "store-ana", null, """{"metadata":{"name":"ana-wordpress"}}""", StoreNamespace),
        new Request("create a Deployment in kube-system", false, "CREATE", "apps", "deployments", "kube-system", """{"metadata":{"name":"miner"}}""", null, KubeSystem),
        new Request("create a Secret in the platform's namespace", false, "CREATE", "", "secrets", "storefleet", """{"metadata":{"name":"x"},"type":"Opaque"}""", null, Platform),
        new Request("exec into a pod in kube-system", false, "CONNECT", "", "pods", "kube-system", """{"kind":"PodExecOptions","command":["sh"]}""", null, KubeSystem),
        // the RoleBinding
        new Request("bind the store role to the worker in a store namespace", true, "CREATE", "rbac.authorization.k8s.io", "rolebindings", "store-ana", Binding(StoreRole, WorkerSubject), null, StoreNamespace),
        new Request("bind the store role to the worker in kube-system", false, "CREATE", "rbac.authorization.k8s.io", "rolebindings", "kube-system", Binding(StoreRole, WorkerSubject), null, KubeSystem),
        new Request("bind the store role to the worker in the platform's namespace", false, "CREATE", "rbac.authorization.k8s.io", "rolebindings", "storefleet", Binding(StoreRole, WorkerSubject), null, Platform),
        new Request("bind cluster-admin in a store namespace", false, "CREATE", "rbac.authorization.k8s.io", "rolebindings", "store-ana", Binding("cluster-admin", WorkerSubject), null, StoreNamespace),
        new Request("bind the store role to the store's own ServiceAccount", false, "CREATE", "rbac.authorization.k8s.io", "rolebindings", "store-ana", Binding(StoreRole, """[{"kind":"ServiceAccount","name":"default","namespace":"store-ana"}]"""), null, StoreNamespace),
        new Request("bind the store role to the worker and someone else", false, "CREATE", "rbac.authorization.k8s.io", "rolebindings", "store-ana", Binding(StoreRole, """[{"kind":"ServiceAccount","name":"storefleet-worker","namespace":"storefleet"},{"kind":"Group","name":"system:authenticated"}]"""), null, StoreNamespace),
        new Request("bind the store role to a user named like the worker", false, "CREATE", "rbac.authorization.k8s.io", "rolebindings", "store-ana", Binding(StoreRole, """[{"kind":"User","name":"storefleet-worker"}]"""), null, StoreNamespace),
        // cluster-scoped kinds other than namespaces
        new Request("create a ClusterRoleBinding", false, "CREATE", "rbac.authorization.k8s.io", "clusterrolebindings", "", Binding(StoreRole, WorkerSubject), null, null),
        new Request("create a ValidatingAdmissionPolicyBinding", false, "CREATE", "admissionregistration.k8s.io", "validatingadmissionpolicybindings", "", """{"metadata":{"name":"x"}}""", null, null),
        // anyone else is not the policy's business
        new Request("an administrator deletes kube-system (not fenced by this policy)", true, "DELETE", "", "namespaces", "kube-system", null, KubeSystem, null, User: "admin"),
        new Request("another ServiceAccount writes in kube-system", true, "CREATE", "apps", "deployments", "kube-system", """{"metadata":{"name":"coredns"}}""", null, KubeSystem, User: "system:serviceaccount:kube-system:deployment-controller"));

    [Theory, MemberData(nameof(Requests))]
    public void TheFenceAdmitsOnlyTheWorkersWritesInsideStoreNamespaces(Request request)
    {
        var denials = Evaluate(Policy(), request);

        if (request.Allowed) Assert.Empty(denials);
        else Assert.NotEmpty(denials);
    }

    [Fact]
    public void AMalformedRoleBindingIsDenied()
    {
        // No roleRef: cel-go fails to evaluate (denied, failurePolicy Fail); the C# evaluator reads it as false (denied).
        var denials = Evaluate(Policy(), new Request("broken", false, "CREATE", "rbac.authorization.k8s.io", "rolebindings", "store-ana", """{"metadata":{"name":"x"}}""", null, StoreNamespace));

        Assert.NotEmpty(denials);
    }

    /// <summary>
    /// Admission as the API server runs a ValidatingAdmissionPolicy: a request outside matchConstraints or failing a
    /// matchCondition is not the policy's; otherwise every validation must be true, and an evaluation error denies
    /// (failurePolicy Fail). Variables are evaluated in order, lazily in effect: an error is kept as a value that
    /// fails whatever uses it. Returns the denials (empty: admitted).
    /// </summary>
    private static List<string> Evaluate(V1ValidatingAdmissionPolicy policy, Request r)
    {
        var env = new CelEnvironment(null, null);
        var spec = policy.Spec;
        if (!spec.MatchConstraints.ResourceRules.Any(rule => rule.Operations.Contains(r.Operation) && rule.Resources.Contains("*/*"))) return [];
        var variables = new Dictionary<string, object?>();
        var input = new Dictionary<string, object?>
        {
            ["request"] = new Dictionary<string, object?>
            {
                ["operation"] = r.Operation,
                ["namespace"] = r.Namespace,
                ["name"] = "",
                ["userInfo"] = new Dictionary<string, object?> { ["username"] = r.User },
                ["resource"] = new Dictionary<string, object?> { ["group"] = r.Group, ["version"] = "v1", ["resource"] = r.Resource },
            },
            ["object"] = Parse(r.Object),
            ["oldObject"] = Parse(r.OldObject),
            ["namespaceObject"] = Parse(r.NamespaceObject),
            ["variables"] = variables,
        };
        if (!spec.MatchConditions.All(c => env.Compile(c.Expression).Invoke(input) is true)) return [];
        foreach (var variable in spec.Variables ?? [])
        {
            try { variables[variable.Name] = env.Compile(variable.Expression).Invoke(input); }
            catch (Exception e) { variables[variable.Name] = new EvaluationError(e.Message); }
        }
        var denials = new List<string>();
        foreach (var validation in spec.Validations)
        {
            try
            {
                if (env.Compile(validation.Expression).Invoke(input) is not true) denials.Add(validation.Message);
            }
            catch (Exception e)
            {
                denials.Add($"error: {e.Message}");
            }
        }
        return denials;
    }

    private sealed record EvaluationError(string Message);

    private static object? Parse(string? json) => json is null ? null : Convert(JsonDocument.Parse(json).RootElement);

    private static object? Convert(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => Convert(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().Select(Convert).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetInt64(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
