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
            throw new ClusterException(reason, $"helm {args[0]} failed: {ErrorMessage(result.Stderr)}");
        return result.Stdout;
    }

    /// <summary>
    /// What went wrong, in helm's words: its <c>Error:</c> line with the lines that continue it (Helm 4 writes
    /// slog lines, <c>level=INFO msg=…</c>, to stderr before it, so the first line is often not the error).
    /// Without an <c>Error:</c> line, the last line that is not a log line. At most 500 characters.
    /// </summary>
    internal static string ErrorMessage(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var start = Array.FindIndex(lines, l => l.StartsWith("Error:", StringComparison.Ordinal));
        var message = start >= 0
            ? string.Join(" ", lines.Skip(start).TakeWhile((l, i) => i == 0 || !IsLogLine(l)))
            : lines.LastOrDefault(l => !IsLogLine(l)) ?? lines.LastOrDefault() ?? "(no output)";
        return message.Length > 500 ? message[..500] : message;
    }

    private static bool IsLogLine(string line) => line.StartsWith("level=", StringComparison.Ordinal) || line.StartsWith("time=", StringComparison.Ordinal);
}
