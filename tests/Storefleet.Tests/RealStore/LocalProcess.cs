using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// A long-running process this suite started (mariadbd, php -S), stopped by its own PID: SIGTERM to its
/// children and to it, then SIGKILL after a grace period. Nothing is ever stopped by name.
/// </summary>
public sealed class LocalProcess : IDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();
    public string Name { get; }
    public int Pid => process.Id;

    LocalProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    /// <summary>Starts a program with exactly <paramref name="env"/> (plus nothing inherited), capturing its output.</summary>
    public static LocalProcess Start(string name, string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var start = Info(program, args, env);
        var process = new Process { StartInfo = start };
        var started = new LocalProcess(name, process);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }

    public string Output { get { lock (output) return output.ToString(); } }
    public bool HasExited => process.HasExited;

    public void Dispose()
    {
        if (!process.HasExited)
        {
            foreach (var child in Children(process.Id)) kill(child, SIGTERM);
            kill(process.Id, SIGTERM);
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        process.Dispose();
    }

    /// <summary>Direct children of a process, from /proc (php -S forks its workers).</summary>
    static IEnumerable<int> Children(int pid)
    {
        var path = $"/proc/{pid}/task/{pid}/children";
        if (!File.Exists(path)) return [];
        return File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
    }

    const int SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>Runs a program to completion (stdout and stderr merged in order by the caller's 2&gt;&amp;1, or concatenated).</summary>
    public static RunResult Run(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, TimeSpan timeout, string? stdin = null)
    {
        var start = Info(program, args, env);
        start.RedirectStandardInput = stdin is not null;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            try
            {
                process.StandardInput.Write(stdin);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program exited before reading its input (a client that could not connect yet, while a
                // server starts): its exit code and output below say why; a broken pipe is not the result.
            }
        }
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{Path.GetFileName(program)} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s:\n{stdout.Result}{stderr.Result}");
        }
        return new RunResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult(), watch.Elapsed);
    }

    static ProcessStartInfo Info(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // A pod's container sees only its own environment: nothing of the test runner's leaks in.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var (k, v) in env) start.Environment[k] = v;
        return start;
    }
}

public sealed record RunResult(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)
{
    public string Output => StdOut + StdErr;
    public string LastLine => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F1} s\n{Output}";
}
