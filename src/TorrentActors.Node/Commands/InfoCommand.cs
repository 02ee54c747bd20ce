using System.CommandLine;

namespace TorrentActors.Node.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Not available in this build.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("error: 'info' is not available in this build");
            return 2;
        });
        return command;
    }
}
