using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Storefleet.Tests.Charts;

/// <summary>
/// The root <c>.dockerignore</c> with Docker's own pattern semantics (moby/patternmatcher, which BuildKit
/// uses to filter the build context): patterns are cleaned paths relative to the context root, <c>*</c>
/// and <c>?</c> stop at <c>/</c>, <c>**</c> spans directories, a pattern that matches a directory
/// excludes everything below it, <c>!</c> re-includes, and the last matching pattern wins.
/// Note what this means: <c>bin</c> or <c>bin/</c> excludes only <c>./bin</c>; nested output needs <c>**/bin</c>.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(string Pattern, Regex Regex, bool Exclusion)> _patterns = [];

    public IReadOnlyList<string> Patterns => [.. _patterns.Select(p => p.Exclusion ? "!" + p.Pattern : p.Pattern)];

    public DockerIgnore(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var exclusion = line.StartsWith('!');
            if (exclusion) line = line[1..].Trim();
            var pattern = Clean(line);
            if (pattern.Length == 0) continue;
            _patterns.Add((pattern, Compile(pattern), exclusion));
        }
    }

    public static DockerIgnore Load(string contextDir)
    {
        var file = Path.Combine(contextDir, ".dockerignore");
        return new DockerIgnore(File.Exists(file) ? File.ReadAllLines(file) : []);
    }

    /// <summary>Is this path (relative to the context root, '/'-separated) left out of the build context?</summary>
    public bool Excludes(string relativePath)
    {
        var path = Clean(relativePath);
        var parent = path.Contains('/') ? path[..path.LastIndexOf('/')] : "";
        var parents = parent.Length == 0 ? [] : parent.Split('/');
        var excluded = false;
        foreach (var (_, regex, exclusion) in _patterns)
        {
            // MatchesOrParentMatches: the path itself, or any of its parent directories.
            var match = regex.IsMatch(path);
            for (var i = 0; !match && i < parents.Length; i++)
                match = regex.IsMatch(string.Join('/', parents[..(i + 1)]));
            if (match) excluded = !exclusion;
        }
        return excluded;
    }

    /// <summary>Can a directory be skipped whole? Only when it is excluded and no "!" pattern could bring back something below it.</summary>
    public bool SkipsDirectory(string relativePath) =>
        Excludes(relativePath) && !_patterns.Any(p => p.Exclusion);

    /// <summary>Go's filepath.Clean for '/'-separated paths, then the leading '/' dropped (patterns are relative to the context).</summary>
    private static string Clean(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == ".." && parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
            else if (part != "..") parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>The regular expression patternmatcher compiles a pattern to.</summary>
    private static Regex Compile(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                {
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/') i++;   // "**/" is "**"
                    regex.Append(i + 1 == pattern.Length ? ".*" : "(.*/)?");
                }
                else
                {
                    regex.Append("[^/]*");
                }
            }
            else if (c == '?') regex.Append("[^/]");
            else if (c == '\\' && i + 1 < pattern.Length) regex.Append(Regex.Escape(pattern[++i].ToString()));
            else if (c == '[') regex.Append('[');   // character classes pass through, as in Go's filepath.Match
            else if (c == ']') regex.Append(']');
            else regex.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}

/// <summary>
/// Runs one stage of a Dockerfile on this machine, without a container engine: the stage's own
/// ARG/ENV/WORKDIR/COPY/RUN instructions, read from the Dockerfile (never a copy of them), against the
/// build context as Docker would send it (the checkout filtered by <see cref="DockerIgnore"/>). The
/// container's root is a temporary directory; the absolute paths the stage uses are mapped into it,
/// and a RUN that names any other absolute path fails the test rather than touching this machine.
/// What it cannot reproduce: the base image itself (this machine's dotnet/node run the commands).
/// </summary>
public sealed class DockerStageRun : IDisposable
{
    public sealed record Instruction(string Keyword, string Arguments);

    public string Root { get; } = Directory.CreateTempSubdirectory("docker-stage-").FullName;
    public string ContextDir { get; }
    public DockerIgnore Ignore { get; }
    public List<string> Log { get; } = [];
    private readonly string[] _containerDirs;
    private string _workdir = "/";
    private readonly Dictionary<string, string> _env = new();
    private readonly Dictionary<string, string> _hostEnv = new();

    /// <param name="containerDirs">The absolute paths the stage may use (e.g. /src, /app), mapped under <see cref="Root"/>.</param>
    public DockerStageRun(string contextDir, params string[] containerDirs)
    {
        ContextDir = contextDir;
        Ignore = DockerIgnore.Load(contextDir);
        _containerDirs = containerDirs;
    }

    /// <summary>The host path of a path inside the "container".</summary>
    public string HostPath(string containerPath) => Path.Combine(Root, containerPath.TrimStart('/'));

    /// <summary>Every stage of a Dockerfile: comment lines dropped and continuation lines joined, as Docker's parser does.</summary>
    public static List<(string Name, List<Instruction> Instructions)> Stages(string dockerfile)
    {
        var text = string.Join("\n", File.ReadAllLines(dockerfile).Where(l => !l.TrimStart().StartsWith('#')));
        text = Regex.Replace(text, @"\\[ \t]*\n", "");
        var stages = new List<(string, List<Instruction>)>();
        foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var space = line.IndexOf(' ');
            var keyword = line[..space].ToUpperInvariant();
            var args = line[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var name = words.Length >= 3 && words[^2].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[^1] : $"stage{stages.Count}";
                stages.Add((name, []));
            }
            else if (stages.Count > 0)
            {
                stages[^1].Item2.Add(new Instruction(keyword, args));
            }
        }
        return stages;
    }

    /// <summary>Runs the instructions in order, stopping at the first RUN that fails; returns that RUN's result (or the last one).</summary>
    /// <param name="hostEnv">Extra environment for this machine's tools (e.g. npm's offline preference), not part of the image.</param>
    public ToolResult Execute(IEnumerable<Instruction> instructions, IReadOnlyDictionary<string, string> buildArgs, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? hostEnv = null)
    {
        foreach (var (k, v) in hostEnv ?? new Dictionary<string, string>()) _hostEnv[k] = v;
        ToolResult last = new("(no RUN)", 0, "", "");
        foreach (var (keyword, args) in instructions)
        {
            switch (keyword)
            {
                case "ARG":
                    var (argName, argDefault) = Split(args);
                    _env[argName] = buildArgs.TryGetValue(argName, out var given) ? given : argDefault ?? "";
                    break;
                case "ENV":
                    foreach (var pair in args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var (k, v) = Split(pair);
                        _env[k] = v ?? "";
                    }
                    break;
                case "WORKDIR":
                    _workdir = Resolve(args);
                    Directory.CreateDirectory(HostPath(_workdir));
                    break;
                case "COPY":
                    Copy(args);
                    break;
                case "RUN":
                    last = Run(args, timeout);
                    if (!last.Succeeded) return last;
                    break;
                case "USER" or "EXPOSE" or "LABEL" or "CMD" or "ENTRYPOINT":
                    break;
                default:
                    throw new NotSupportedException($"{keyword} is not interpreted by this test: extend DockerStageRun");
            }
        }
        return last;
    }

    private static (string Name, string? Value) Split(string pair)
    {
        var eq = pair.IndexOf('=');
        return eq < 0 ? (pair, null) : (pair[..eq], pair[(eq + 1)..].Trim('"'));
    }

    private string Resolve(string path) => path.StartsWith('/') ? path : $"{_workdir.TrimEnd('/')}/{path}";

    /// <summary>COPY from the build context: files as they are, a directory's contents, .dockerignore applied.</summary>
    private void Copy(string args)
    {
        var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Any(w => w.StartsWith("--", StringComparison.Ordinal)))
            throw new NotSupportedException($"COPY {args}: flags (--from, --chown...) are not interpreted by this test");
        var sources = words[..^1];
        var dest = words[^1];
        var destIsDir = dest.EndsWith('/') || sources.Length > 1;
        var destHost = HostPath(Resolve(dest));
        foreach (var source in sources)
        {
            if (source.IndexOfAny(['*', '?', '[']) >= 0) throw new NotSupportedException($"COPY {source}: wildcards are not interpreted by this test");
            var relative = source.Trim('/');
            var full = Path.Combine(ContextDir, relative);
            if (Ignore.Excludes(relative)) throw new FileNotFoundException($"COPY {source}: excluded by .dockerignore, so Docker would fail too");
            if (Directory.Exists(full))
            {
                CopyDirectory(full, relative, destHost);
            }
            else if (File.Exists(full))
            {
                var target = destIsDir ? Path.Combine(destHost, Path.GetFileName(full)) : destHost;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(full, target, overwrite: true);
            }
            else
            {
                throw new FileNotFoundException($"COPY {source}: not in the build context");
            }
        }
    }

    private void CopyDirectory(string hostDir, string relative, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var dir in Directory.EnumerateDirectories(hostDir))
        {
            var rel = $"{relative}/{Path.GetFileName(dir)}";
            if (Ignore.SkipsDirectory(rel)) continue;
            CopyDirectory(dir, rel, Path.Combine(target, Path.GetFileName(dir)));
        }
        foreach (var file in Directory.EnumerateFiles(hostDir))
        {
            var rel = $"{relative}/{Path.GetFileName(file)}";
            if (!Ignore.Excludes(rel)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>
    /// RUN in the shell form, as /bin/sh -c, in the WORKDIR, with the stage's ARG and ENV values. The
    /// stage's absolute paths are mapped under <see cref="Root"/>; any other absolute path is refused.
    /// </summary>
    private ToolResult Run(string command, TimeSpan timeout)
    {
        var mapped = Regex.Replace(command, @"(?<=^|[\s=;&|>(""'])(/[A-Za-z][\w.-]*)(?=[/\s;&|)""']|$)", m =>
        {
            var top = m.Groups[1].Value;
            if (_containerDirs.Contains(top)) return HostPath(top);
            if (top == "/dev") return top;   // /dev/null
            throw new NotSupportedException($"RUN uses {top}, which this test does not map: add it to the stage's container directories");
        });
        Log.Add($"RUN {command}");
        return Shell(mapped, HostPath(_workdir), timeout, _hostEnv.Concat(_env).ToDictionary());
    }

    /// <summary>/bin/sh -c with a time limit (the process tree is killed after it), capturing both streams.</summary>
    public static ToolResult Shell(string command, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return new ToolResult(command, -1, stdout.Result, stderr.Result + $"\n(killed after {timeout.TotalSeconds:0} s)");
        }
        process.WaitForExit();
        return new ToolResult(command, process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
