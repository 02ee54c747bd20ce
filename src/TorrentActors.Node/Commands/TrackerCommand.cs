using System.CommandLine;

namespace TorrentActors.Node.Commands;

internal static class TrackerCommand
{
    public static Command Create()
    {
        var command = new Command("tracker", "Not available in this build.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("error: 'tracker' is not available in this build");
            return 2;
        });
        return command;
    }
}
