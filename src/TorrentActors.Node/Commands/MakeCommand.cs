using System.CommandLine;

namespace TorrentActors.Node.Commands;

internal static class MakeCommand
{
    public static Command Create()
    {
        var command = new Command("make", "Not available in this build.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("error: 'make' is not available in this build");
            return 2;
        });
        return command;
    }
}
