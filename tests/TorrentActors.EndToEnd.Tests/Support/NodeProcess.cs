namespace TorrentActors.EndToEnd.Tests.Support;

/// <summary>
/// The built <c>torrentactors</c> run as a real process (<c>dotnet torrentactors.dll ...</c>) with stdin, stdout
/// and stderr redirected (see <see cref="TestProcess"/>). Dispose kills the process tree if it is still running.
/// </summary>
public sealed class NodeProcess : TestProcess
{
    private NodeProcess(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment)
        : base(fileName, arguments, workingDirectory, environment, keepStdinOpen: true)
    {
    }

    /// <summary>Starts the node in <paramref name="workingDirectory"/> with <paramref name="arguments"/>.</summary>
    public static NodeProcess Start(string workingDirectory, params string[] arguments) => StartAs(workingDirectory, null, arguments);

    /// <summary>
    /// Starts the node with the operating system's file size limit (<c>RLIMIT_FSIZE</c>) at
    /// <paramref name="maxFileBytes"/>: any write that would make one of its files larger fails with <c>EFBIG</c>
    /// (SIGXFSZ is ignored, so the write fails instead of killing the process), as on a full disk. The runtime's
    /// double-mapped code memory is a file too, so it is turned off (<c>DOTNET_EnableWriteXorExecute=0</c>).
    /// </summary>
    public static NodeProcess StartWithFileSizeLimit(string workingDirectory, long maxFileBytes, params string[] arguments)
    {
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_EnableWriteXorExecute"] = "0",
        };
        var blocks = maxFileBytes / 512; // sh's ulimit -f counts 512-byte blocks
        string[] all = ["-c", $"trap '' XFSZ; ulimit -f {blocks} && exec dotnet \"$@\"", "node", NodeBuild.DllPath, .. arguments];
        return new NodeProcess("/bin/sh", all, workingDirectory, environment);
    }

    /// <summary>
    /// Starts the node as another user (through <c>setpriv</c>, so a test running as root can see what an
    /// unprivileged node sees); <paramref name="setprivPath"/> null runs it as the current user.
    /// </summary>
    public static NodeProcess StartAs(string workingDirectory, string? setprivPath, params string[] arguments) =>
        StartWith(workingDirectory, setprivPath, new Dictionary<string, string>(), arguments);

    /// <summary>Starts the node with <paramref name="variables"/> added to its environment (settings such as <c>TORRENTACTORS_ENGINE__...</c>).</summary>
    public static NodeProcess StartWith(string workingDirectory, IReadOnlyDictionary<string, string> variables, params string[] arguments) =>
        StartWith(workingDirectory, null, variables, arguments);

    private static NodeProcess StartWith(string workingDirectory, string? setprivPath, IReadOnlyDictionary<string, string> variables, string[] arguments)
    {
        var environment = new Dictionary<string, string>(variables)
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        var all = new List<string>();
        if (setprivPath is not null)
        {
            all.AddRange(["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet"]);
            environment["HOME"] = workingDirectory;
            environment["DOTNET_CLI_HOME"] = workingDirectory;
        }

        all.Add(NodeBuild.DllPath);
        all.AddRange(arguments);
        return new NodeProcess(setprivPath ?? "dotnet", all, workingDirectory, environment);
    }
}
