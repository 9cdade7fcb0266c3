using System.Diagnostics;
using System.Text;

namespace Storefleet.Cluster.Kubernetes;

/// <summary>
/// Runs the Helm 4 CLI. Arguments go in as an array (ProcessStartInfo.ArgumentList), never through a
/// shell, and store data reaches helm only inside a generated values file, so nothing a tenant typed is
/// ever parsed as a command or a flag.
/// </summary>
public sealed class HelmCli(KubernetesClusterOptions options, ILogger<HelmCli> log)
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public async Task<Result> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(options.HelmPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        if (options.KubeConfig is { } kubeconfig) start.Environment["KUBECONFIG"] = kubeconfig;
        if (options.KubeContext is { } context) start.ArgumentList.Add($"--kube-context={context}");

        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ClusterException("HelmMissing", $"Could not run helm at '{options.HelmPath}': {e.Message}. Install Helm 4 or set Cluster:Kubernetes:HelmPath.", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.HelmTimeout + TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Killing helm mid-operation can leave a release pending; the reconciler recovers those.
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            if (ct.IsCancellationRequested) throw;
            throw new ClusterException("HelmTimeout", $"helm {args[0]} did not finish within {options.HelmTimeout}.");
        }
        process.WaitForExit(); // flush the output readers
        log.LogDebug("helm {Command} exited {Code}", string.Join(' ', args.Take(2)), process.ExitCode);
        return new Result(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs helm and throws a <see cref="ClusterException"/> carrying helm's own message when it fails.</summary>
    public async Task<string> RunCheckedAsync(IReadOnlyList<string> args, string reason, CancellationToken ct)
    {
        var result = await RunAsync(args, ct);
        if (result.ExitCode != 0)
            throw new ClusterException(reason, $"helm {args[0]} failed: {FirstLine(result.Stderr)}");
        return result.Stdout;
    }

    internal static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "(no output)";
        return line.Length > 500 ? line[..500] : line;
    }
}
