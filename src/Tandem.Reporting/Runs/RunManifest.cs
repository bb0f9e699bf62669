using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Tandem.Reporting;

/// <summary>
/// What is needed to reproduce a run: the command line, the seed, versions, the git commit and
/// the wall time. Written as <c>manifest.json</c> beside an experiment's outputs.
/// </summary>
/// <param name="Command">The command that ran, such as <c>tandem simulate</c>.</param>
/// <param name="Arguments">The command-line arguments, with secrets replaced by <c>***</c> (see <see cref="Redact"/>).</param>
/// <param name="Seed">The root seed of the run.</param>
/// <param name="ToolVersion">The informational version of the entry assembly (else of this library).</param>
/// <param name="Runtime">The .NET runtime, such as <c>.NET 10.0.0</c>.</param>
/// <param name="Os">The operating system description and process architecture.</param>
/// <param name="GitCommit">The commit of the working tree the run started in; null when unknown.</param>
/// <param name="StartedAt">When the run started.</param>
/// <param name="WallSeconds">Elapsed wall-clock time in seconds. Range: ≥ 0.</param>
/// <param name="Extra">Further named facts, such as the model name of an LLM advisor; secret-looking entries are redacted.</param>
public sealed record RunManifest(
    string Command,
    IReadOnlyList<string> Arguments,
    ulong Seed,
    string ToolVersion,
    string Runtime,
    string Os,
    string? GitCommit,
    DateTimeOffset StartedAt,
    double WallSeconds,
    IReadOnlyDictionary<string, string> Extra)
{
    /// <summary>What replaces a redacted value.</summary>
    public const string Redacted = "***";

    private static readonly string[] SecretWords = ["key", "token", "secret", "password", "passwd", "credential"];

    private static readonly TimeSpan GitTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Describes the current process: versions, OS and the git commit of the current directory
    /// (from <c>git rev-parse HEAD</c>, given 2 s, else read from <c>.git</c> found upward from the
    /// current directory; null when neither works). Arguments and extras are redacted. Never
    /// throws for an unavailable git.
    /// </summary>
    /// <param name="command">The command that ran.</param>
    /// <param name="arguments">Its arguments as given.</param>
    /// <param name="seed">The root seed.</param>
    /// <param name="startedAt">When the run started (pass it in; this method does not read the clock).</param>
    /// <param name="wallSeconds">Elapsed wall-clock seconds. Range: ≥ 0.</param>
    /// <param name="extra">Further named facts; none when null.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wallSeconds"/> is negative or NaN.</exception>
    public static RunManifest Capture(
        string command,
        IReadOnlyList<string> arguments,
        ulong seed,
        DateTimeOffset startedAt,
        double wallSeconds,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(arguments);
        if (!(wallSeconds >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(wallSeconds), wallSeconds, "Wall time must be a non-negative number of seconds.");
        }

        return new RunManifest(
            command,
            Redact(arguments),
            seed,
            ToolVersionOf(Assembly.GetEntryAssembly() ?? typeof(RunManifest).Assembly),
            RuntimeInformation.FrameworkDescription,
            $"{RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture})",
            FindGitCommit(Environment.CurrentDirectory),
            startedAt,
            wallSeconds,
            RedactExtra(extra ?? new Dictionary<string, string>()));
    }

    /// <summary>
    /// Writes the manifest as indented JSON (<see cref="JsonOutput"/>), redacting arguments and
    /// extras again in case the manifest was built without <see cref="Capture"/>.
    /// </summary>
    /// <param name="path">The file to create or overwrite; the folder is created if needed.</param>
    public void Write(string path) =>
        JsonOutput.Write(path, this with { Arguments = Redact(Arguments), Extra = RedactExtra(Extra) });

    /// <summary>
    /// Replaces what looks like a secret with <see cref="Redacted"/>: the value of an option whose
    /// name contains key, token, secret, password, passwd or credential (ignoring case), whether
    /// given as the next argument (<c>--api-key sk-1</c>) or inline (<c>--api-key=sk-1</c>);
    /// the value of a <c>NAME=value</c> argument whose name does (<c>OPENAI_KEY=...</c>); and any
    /// argument or inline value that starts with <c>sk-</c>. Idempotent.
    /// </summary>
    /// <param name="arguments">The arguments as given.</param>
    /// <returns>A new list of the same length.</returns>
    public static IReadOnlyList<string> Redact(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var result = new string[arguments.Count];
        bool nextIsSecret = false;
        for (int i = 0; i < arguments.Count; i++)
        {
            string argument = arguments[i] ?? string.Empty;
            if (nextIsSecret && !argument.StartsWith("--", StringComparison.Ordinal))
            {
                result[i] = Redacted;
                nextIsSecret = false;
                continue;
            }

            nextIsSecret = false;
            int separator = argument.IndexOfAny(['=', ':']);
            bool isOption = argument.StartsWith('-');
            string name = separator > 0 ? argument[..separator] : argument;
            string? value = separator > 0 ? argument[(separator + 1)..] : null;

            if (LooksSecret(argument))
            {
                result[i] = Redacted;
            }
            else if (value is not null && (NamesSecret(name) || LooksSecret(value)))
            {
                result[i] = argument[..(separator + 1)] + Redacted;
            }
            else
            {
                result[i] = argument;
                nextIsSecret = isOption && value is null && NamesSecret(name);
            }
        }

        return result;
    }

    private static IReadOnlyDictionary<string, string> RedactExtra(IReadOnlyDictionary<string, string> extra)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in extra)
        {
            result[key] = NamesSecret(key) || LooksSecret(value ?? string.Empty) ? Redacted : value ?? string.Empty;
        }

        return result;
    }

    private static bool NamesSecret(string name) =>
        SecretWords.Any(word => name.Contains(word, StringComparison.OrdinalIgnoreCase));

    private static bool LooksSecret(string value) => value.StartsWith("sk-", StringComparison.Ordinal);

    private static string ToolVersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>The commit checked out in <paramref name="directory"/>, by git or by reading .git; null when unknown.</summary>
    internal static string? FindGitCommit(string directory) => RunGitRevParse(directory) ?? ReadGitHead(directory);

    internal static string? RunGitRevParse(string directory)
    {
        try
        {
            var start = new ProcessStartInfo("git")
            {
                ArgumentList = { "rev-parse", "HEAD" },
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                CreateNoWindow = true,
            };
            using Process? git = Process.Start(start);
            if (git is null)
            {
                return null;
            }

            Task<string> output = git.StandardOutput.ReadToEndAsync();
            _ = git.StandardError.ReadToEndAsync();
            if (!git.WaitForExit(GitTimeout))
            {
                git.Kill(entireProcessTree: true);
                return null;
            }

            return git.ExitCode == 0 && output.Wait(GitTimeout) ? AsCommit(output.Result) : null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException or UnauthorizedAccessException or AggregateException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads HEAD from the nearest <c>.git</c> folder or <c>.git</c> file (a worktree's
    /// <c>gitdir:</c> pointer) at or above <paramref name="directory"/>: a detached commit, or the
    /// branch ref as a loose file or in packed-refs (in the worktree's common dir too).
    /// </summary>
    internal static string? ReadGitHead(string directory)
    {
        try
        {
            string? gitDir = FindGitDir(directory);
            if (gitDir is null)
            {
                return null;
            }

            string head = File.ReadAllText(Path.Combine(gitDir, "HEAD")).Trim();
            if (!head.StartsWith("ref:", StringComparison.Ordinal))
            {
                return AsCommit(head);
            }

            string reference = head["ref:".Length..].Trim();
            var dirs = new List<string> { gitDir };
            string commonDirFile = Path.Combine(gitDir, "commondir");
            if (File.Exists(commonDirFile))
            {
                dirs.Add(Path.GetFullPath(Path.Combine(gitDir, File.ReadAllText(commonDirFile).Trim())));
            }

            foreach (string dir in dirs)
            {
                string loose = Path.Combine(dir, reference.Replace('/', Path.DirectorySeparatorChar));
                if (File.Exists(loose))
                {
                    return AsCommit(File.ReadAllText(loose));
                }

                string packed = Path.Combine(dir, "packed-refs");
                if (File.Exists(packed))
                {
                    foreach (string line in File.ReadLines(packed))
                    {
                        string[] parts = line.Split(' ', 2);
                        if (parts.Length == 2 && parts[1].Trim() == reference)
                        {
                            return AsCommit(parts[0]);
                        }
                    }
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    private static string? FindGitDir(string directory)
    {
        for (DirectoryInfo? dir = new(Path.GetFullPath(directory)); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, ".git");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }

            if (File.Exists(candidate))
            {
                string pointer = File.ReadAllText(candidate).Trim();
                if (pointer.StartsWith("gitdir:", StringComparison.Ordinal))
                {
                    return Path.GetFullPath(Path.Combine(dir.FullName, pointer["gitdir:".Length..].Trim()));
                }

                return null;
            }
        }

        return null;
    }

    /// <summary>The text as a commit id (40 hex digits for SHA-1, 64 for SHA-256), else null.</summary>
    private static string? AsCommit(string text)
    {
        string id = text.Trim();
        return (id.Length is 40 or 64) && id.All(char.IsAsciiHexDigit) ? id.ToLowerInvariant() : null;
    }
}
