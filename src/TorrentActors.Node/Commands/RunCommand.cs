using System.CommandLine;

namespace TorrentActors.Node.Commands;

internal static class RunCommand
{
    /// <summary>Adds <c>run</c>, which is also what the tool does with no command.</summary>
    public static void Register(RootCommand root)
    {
        var command = new Command("run", "Run the node (not available in this build yet).");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("error: the node is not available in this build yet; see --help");
            return 2;
        });
        root.Subcommands.Add(command);
    }
}
