using System.Collections.Concurrent;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Storefleet.Tests.Cluster;

/// <summary>
/// An in-process stand-in for the Kubernetes API server (the way the official C# client tests itself):
/// Kestrel on 127.0.0.1 with just the resources the driver touches, kept in memory. Objects are
/// serialised with the client's own KubernetesJson, so the client parses exactly what a server sends.
/// </summary>
public sealed class FakeKubeApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, V1Namespace> _namespaces = new();
    private readonly ConcurrentDictionary<(string Ns, string Name), V1Secret> _secrets = new();
    private readonly ConcurrentDictionary<(string Ns, string Name), V1RoleBinding> _roleBindings = new();
    public List<V1Pod> Pods { get; } = [];
    public List<V1Job> Jobs { get; } = [];
    /// <summary>CronJobs (read by name: the backup and restore Job templates).</summary>
    public List<V1CronJob> CronJobs { get; } = [];
    public List<Corev1Event> Events { get; } = [];
    public List<V1Ingress> Ingresses { get; } = [];
    /// <summary>Pod logs by pod name (GET …/pods/{name}/log honours tailLines; a pod not listed answers 404).</summary>
    public Dictionary<string, string> PodLogs { get; } = [];
    /// <summary>cert-manager Certificates (cert-manager.io/v1) by namespace and name, as the JSON a server sends.</summary>
    public ConcurrentDictionary<(string Ns, string Name), string> Certificates { get; } = new();
    /// <summary>False: the cluster has no cert-manager CRDs, and the API server answers their paths with a plain 404.</summary>
    public bool ServesCertManager { get; set; } = true;
    public ConcurrentQueue<string> Requests { get; } = new();
    /// <summary>Answer every request with 403, as an API server does for a service account without RBAC.</summary>
    public bool Forbid { get; set; }
    /// <summary>
    /// RBAC as the platform chart sets it up: the worker holds namespaced permissions only where a RoleBinding of
    /// this name exists (creating RoleBindings is its one cluster-wide namespaced right). Null: everything allowed.
    /// </summary>
    public string? RequireRoleBinding { get; set; }

    /// <summary>Requests that change something (anything but GET), as "METHOD path".</summary>
    public IEnumerable<string> Writes => Requests.Where(r => !r.StartsWith("GET ", StringComparison.Ordinal));

    private FakeKubeApi(WebApplication app) => _app = app;

    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public IKubernetes Client() => new Kubernetes(new KubernetesClientConfiguration { Host = Url });

    public static async Task<FakeKubeApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("FAKE_KUBE_LOG") == "1") builder.Logging.AddConsole();
        var app = builder.Build();
        var fake = new FakeKubeApi(app);
        fake.Map(app);
        await app.StartAsync();
        return fake;
    }

    public void AddNamespace(string name, IDictionary<string, string>? labels = null, bool terminating = false) =>
        _namespaces[name] = new V1Namespace
        {
            ApiVersion = "v1", Kind = "Namespace",
            Metadata = new V1ObjectMeta { Name = name, Labels = labels, CreationTimestamp = DateTime.UtcNow.AddHours(-1), DeletionTimestamp = terminating ? DateTime.UtcNow : null },
            Status = new V1NamespaceStatus { Phase = terminating ? "Terminating" : "Active" },
        };

    public V1Namespace? Namespace(string name) => _namespaces.GetValueOrDefault(name);
    public void RemoveNamespace(string name)
    {
        _namespaces.TryRemove(name, out _);
        foreach (var key in _secrets.Keys.Where(k => k.Ns == name)) _secrets.TryRemove(key, out _);
        foreach (var key in _roleBindings.Keys.Where(k => k.Ns == name)) _roleBindings.TryRemove(key, out _);
    }
    public V1RoleBinding? RoleBinding(string ns, string name) => _roleBindings.GetValueOrDefault((ns, name));

    public void AddSecret(string ns, string name, IDictionary<string, string>? labels, IDictionary<string, string> data) =>
        _secrets[(ns, name)] = new V1Secret
        {
            ApiVersion = "v1", Kind = "Secret", Type = "Opaque",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
            Data = data.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)),
        };
    public V1Secret? Secret(string ns, string name) => _secrets.GetValueOrDefault((ns, name));

    /// <summary>A Secret that exists before the test starts (e.g. one an older engine wrote).</summary>

    private void Map(WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            Requests.Enqueue($"{ctx.Request.Method} {ctx.Request.Path}{ctx.Request.QueryString}");
            if (Forbid) { await Write(ctx, 403, Status(403, "Forbidden", "namespaces is forbidden: User \"system:serviceaccount:storefleet:api\" cannot list resource")); return; }
            if (RequireRoleBinding is { } binding && NamespaceOf(ctx.Request.Path) is { } ns
                && !(ctx.Request.Method == "POST" && ctx.Request.Path.Value!.EndsWith("/rolebindings", StringComparison.Ordinal))
                && !_roleBindings.ContainsKey((ns, binding)))
            {
                await Write(ctx, 403, Status(403, "Forbidden", $"forbidden: User \"system:serviceaccount:storefleet:storefleet-worker\" cannot access resources in the namespace \"{ns}\""));
                return;
            }
            await next(ctx);
        });
        app.MapGet("/api/v1/namespaces", (HttpContext ctx) => Write(ctx, 200, new V1NamespaceList
        {
            ApiVersion = "v1", Kind = "NamespaceList", Metadata = new V1ListMeta(),
            Items = [.. _namespaces.Values.Where(n => Matches(n.Metadata.Labels, ctx.Request.Query["labelSelector"]))],
        }));
        app.MapPost("/api/v1/namespaces", async (HttpContext ctx) =>
        {
            var ns = KubernetesJson.Deserialize<V1Namespace>(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            if (_namespaces.ContainsKey(ns.Metadata.Name)) { await Write(ctx, 409, Status(409, "AlreadyExists", $"namespaces \"{ns.Metadata.Name}\" already exists")); return; }
            ns.Metadata.CreationTimestamp = DateTime.UtcNow;
            ns.Status = new V1NamespaceStatus { Phase = "Active" };
            _namespaces[ns.Metadata.Name] = ns;
            await Write(ctx, 201, ns);
        });
        app.MapGet("/api/v1/namespaces/{name}", (HttpContext ctx, string name) =>
            _namespaces.TryGetValue(name, out var ns) ? Write(ctx, 200, ns) : Write(ctx, 404, Status(404, "NotFound", $"namespaces \"{name}\" not found")));
        app.MapDelete("/api/v1/namespaces/{name}", (HttpContext ctx, string name) =>
        {
            if (!_namespaces.TryGetValue(name, out var ns)) return Write(ctx, 404, Status(404, "NotFound", $"namespaces \"{name}\" not found"));
            ns.Metadata.DeletionTimestamp = DateTime.UtcNow;
            ns.Status = new V1NamespaceStatus { Phase = "Terminating" };
            return Write(ctx, 200, ns);
        });
        app.MapGet("/api/v1/namespaces/{ns}/secrets/{name}", (HttpContext ctx, string ns, string name) =>
            _secrets.TryGetValue((ns, name), out var s) ? Write(ctx, 200, s) : Write(ctx, 404, Status(404, "NotFound", $"secrets \"{name}\" not found")));
        app.MapPost("/api/v1/namespaces/{ns}/secrets", async (HttpContext ctx, string ns) =>
        {
            var secret = KubernetesJson.Deserialize<V1Secret>(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            if (_secrets.ContainsKey((ns, secret.Metadata.Name))) { await Write(ctx, 409, Status(409, "AlreadyExists", "secret exists")); return; }
            // Like the API server: stringData is write-only and merged into data.
            secret.Data ??= new Dictionary<string, byte[]>();
            foreach (var (k, v) in secret.StringData ?? new Dictionary<string, string>()) secret.Data[k] = Encoding.UTF8.GetBytes(v);
            secret.StringData = null;
            secret.Metadata.NamespaceProperty = ns;
            _secrets[(ns, secret.Metadata.Name)] = secret;
            await Write(ctx, 201, secret);
        });
        // A JSON merge patch of stringData, the only kind the driver sends.
        app.MapPatch("/api/v1/namespaces/{ns}/secrets/{name}", async (HttpContext ctx, string ns, string name) =>
        {
            if (!_secrets.TryGetValue((ns, name), out var secret)) { await Write(ctx, 404, Status(404, "NotFound", $"secrets \"{name}\" not found")); return; }
            var patch = KubernetesJson.Deserialize<V1Secret>(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            foreach (var (k, v) in patch.StringData ?? new Dictionary<string, string>()) secret.Data[k] = Encoding.UTF8.GetBytes(v);
            await Write(ctx, 200, secret);
        });
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}/log", async (HttpContext ctx, string ns, string name) =>
        {
            if (!PodLogs.TryGetValue(name, out var log)) { await Write(ctx, 404, Status(404, "NotFound", $"pods \"{name}\" not found")); return; }
            var lines = log.TrimEnd('\n').Split('\n');
            if (int.TryParse(ctx.Request.Query["tailLines"], out var tail)) lines = lines[Math.Max(0, lines.Length - tail)..];
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync(string.Join('\n', lines) + "\n");
        });
        app.MapPost("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings", async (HttpContext ctx, string ns) =>
        {
            var binding = KubernetesJson.Deserialize<V1RoleBinding>(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            if (!_namespaces.ContainsKey(ns)) { await Write(ctx, 404, Status(404, "NotFound", $"namespaces \"{ns}\" not found")); return; }
            if (_roleBindings.ContainsKey((ns, binding.Metadata.Name))) { await Write(ctx, 409, Status(409, "AlreadyExists", "rolebinding exists")); return; }
            binding.Metadata.NamespaceProperty = ns;
            _roleBindings[(ns, binding.Metadata.Name)] = binding;
            await Write(ctx, 201, binding);
        });
        app.MapGet("/api/v1/namespaces/{ns}/pods", (HttpContext ctx, string ns) => Write(ctx, 200, new V1PodList
        {
            ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta(),
            Items = [.. Pods.Where(p => p.Metadata.NamespaceProperty == ns && Matches(p.Metadata.Labels, ctx.Request.Query["labelSelector"]))],
        }));
        app.MapGet("/apis/batch/v1/namespaces/{ns}/jobs", (HttpContext ctx, string ns) => Write(ctx, 200, new V1JobList
        {
            ApiVersion = "batch/v1", Kind = "JobList", Metadata = new V1ListMeta(),
            Items = [.. Jobs.Where(j => j.Metadata.NamespaceProperty == ns && Matches(j.Metadata.Labels, ctx.Request.Query["labelSelector"]))],
        }));
        app.MapGet("/apis/batch/v1/namespaces/{ns}/jobs/{name}", (HttpContext ctx, string ns, string name) =>
            Jobs.FirstOrDefault(j => j.Metadata.NamespaceProperty == ns && j.Metadata.Name == name) is { } job
                ? Write(ctx, 200, job) : Write(ctx, 404, Status(404, "NotFound", $"jobs.batch \"{name}\" not found")));
        app.MapPost("/apis/batch/v1/namespaces/{ns}/jobs", async (HttpContext ctx, string ns) =>
        {
            var job = KubernetesJson.Deserialize<V1Job>(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            if (Jobs.Any(j => j.Metadata.NamespaceProperty == ns && j.Metadata.Name == job.Metadata.Name)) { await Write(ctx, 409, Status(409, "AlreadyExists", "job exists")); return; }
            job.Metadata.NamespaceProperty = ns;
            job.Metadata.Uid = Guid.NewGuid().ToString();
            Jobs.Add(job);
            await Write(ctx, 201, job);
        });
        app.MapGet("/apis/batch/v1/namespaces/{ns}/cronjobs/{name}", (HttpContext ctx, string ns, string name) =>
            CronJobs.FirstOrDefault(j => j.Metadata.NamespaceProperty == ns && j.Metadata.Name == name) is { } cron
                ? Write(ctx, 200, cron) : Write(ctx, 404, Status(404, "NotFound", $"cronjobs.batch \"{name}\" not found")));
        app.MapGet("/api/v1/namespaces/{ns}/events", (HttpContext ctx, string ns) => Write(ctx, 200, new Corev1EventList
        {
            ApiVersion = "v1", Kind = "EventList", Metadata = new V1ListMeta(),
            Items = [.. Events.Where(e => e.Metadata.NamespaceProperty == ns && (ctx.Request.Query["fieldSelector"] != "type=Warning" || e.Type == "Warning"))],
        }));
        app.MapGet("/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses", (HttpContext ctx, string ns) => Write(ctx, 200, new V1IngressList
        {
            ApiVersion = "networking.k8s.io/v1", Kind = "IngressList", Metadata = new V1ListMeta(),
            Items = [.. Ingresses.Where(i => i.Metadata.NamespaceProperty == ns)],
        }));
        app.MapGet("/apis/cert-manager.io/v1/namespaces/{ns}/certificates/{name}", async (HttpContext ctx, string ns, string name) =>
        {
            if (!ServesCertManager)
            {
                // What kube-apiserver answers for a group it does not serve: not a Status object.
                ctx.Response.StatusCode = 404;
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.Response.WriteAsync("404 page not found\n");
                return;
            }
            if (Certificates.TryGetValue((ns, name), out var json))
            {
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(json);
                return;
            }
            // A served kind without the object: a Status that names it.
            ctx.Response.StatusCode = 404;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(new
            {
                apiVersion = "v1", kind = "Status", status = "Failure", code = 404, reason = "NotFound",
                message = $"certificates.cert-manager.io \"{name}\" not found",
                details = new { name, group = "cert-manager.io", kind = "certificates" },
            }));
        });
    }

    /// <summary>The namespace of a namespaced resource path (/api/v1/namespaces/x/secrets/..., /apis/g/v/namespaces/x/...), else null.</summary>
    private static string? NamespaceOf(PathString path)
    {
        var parts = path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var at = parts.Length > 0 && parts[0] == "api" ? 2 : 3;
        return parts.Length > at + 2 && parts[at] == "namespaces" ? parts[at + 1] : null;
    }

    private static bool Matches(IDictionary<string, string>? labels, string? selector)
    {
        if (string.IsNullOrEmpty(selector)) return true;
        return selector.Split(',').All(term =>
        {
            var kv = term.Split('=', 2);
            return labels is not null && labels.TryGetValue(kv[0], out var v) && v == kv[1];
        });
    }

    // The client reads Status bodies but cannot write them (its converter is one-way), so this one is plain JSON.
    private static object Status(int code, string reason, string message) =>
        new StatusBody("v1", "Status", "Failure", code, reason, message);

    private sealed record StatusBody(string apiVersion, string kind, string status, int code, string reason, string message);

    private static async Task Write(HttpContext ctx, int status, object body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body is StatusBody ? System.Text.Json.JsonSerializer.Serialize(body) : KubernetesJson.Serialize(body));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>
/// A stand-in for the helm binary: a short script that records each call's arguments (one per line,
/// calls separated by a blank line), keeps a copy of every values file it is given, and answers
/// status/history from files the test puts next to it.
/// </summary>
public sealed class FakeHelm : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("fake-helm-").FullName;
    public string Path => System.IO.Path.Combine(Dir, "helm");

    public FakeHelm()
    {
        File.WriteAllText(Path, """
            #!/usr/bin/env bash
            dir=$(dirname "$0")
            { printf '%s\n' "$@"; echo; } >> "$dir/calls.log"
            args=("$@")
            for ((i = 0; i < ${#args[@]}; i++)); do
              if [ "${args[$i]}" = "--values" ]; then cp "${args[$((i + 1))]}" "$dir/values-$(basename "${args[$((i + 1))]}")"; fi
            done
            case "$1" in
              status) if [ -f "$dir/status.json" ]; then cat "$dir/status.json"; else echo 'Error: release: not found' >&2; exit 1; fi ;;
              history) if [ -f "$dir/history.json" ]; then cat "$dir/history.json"; else echo 'Error: release: not found' >&2; exit 1; fi ;;
              upgrade) if [ -f "$dir/upgrade.fail" ]; then cat "$dir/upgrade.fail" >&2; exit 1; fi ;;
            esac
            exit 0
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Status(string? recordedFile) => Place("status.json", recordedFile);
    public void History(string? recordedFile) => Place("history.json", recordedFile);
    public void FailUpgrades(string stderr) => File.WriteAllText(System.IO.Path.Combine(Dir, "upgrade.fail"), stderr);

    public List<string[]> Calls()
    {
        var log = System.IO.Path.Combine(Dir, "calls.log");
        if (!File.Exists(log)) return [];
        return [.. File.ReadAllText(log).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(c => c.Split('\n', StringSplitOptions.RemoveEmptyEntries))];
    }

    public string[] CopiedValuesFiles() => Directory.GetFiles(Dir, "values-*");

    private void Place(string name, string? source)
    {
        var target = System.IO.Path.Combine(Dir, name);
        if (source is null) File.Delete(target);
        else File.Copy(source, target, overwrite: true);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
