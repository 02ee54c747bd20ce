using System.Management.Automation.Language;
using Xunit;

namespace TorrentActors.Node.Tests.Repository;

/// <summary>
/// build.ps1 promises to be a thin wrapper over the README's dotnet commands. PowerShell is not on these machines,
/// so the script is parsed with PowerShell's own parser and its commands are checked against README.md.
/// </summary>
public sealed class BuildScriptTests
{
    internal static readonly string Root = FindRoot();

    [Fact]
    public void Build_script_parses_without_errors_and_offers_every_target()
    {
        var ast = Parser.ParseFile(Path.Combine(Root, "build.ps1"), out _, out var errors);

        Assert.Empty(errors);
        var targets = ast.FindAll(node => node is AttributeAst { TypeName.Name: "ValidateSet" }, searchNestedScriptBlocks: true)
            .Cast<AttributeAst>()
            .SelectMany(attribute => attribute.PositionalArguments.OfType<StringConstantExpressionAst>().Select(s => s.Value))
            .ToHashSet();
        Assert.Equal(new HashSet<string> { "build", "test", "run", "bench", "pack" }, targets);
    }

    [Fact]
    public void Every_dotnet_command_of_the_build_script_is_one_the_readme_gives()
    {
        var ast = Parser.ParseFile(Path.Combine(Root, "build.ps1"), out _, out _);
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));

        var commands = ast.FindAll(node => node is CommandAst command && command.GetCommandName() == "dotnet", searchNestedScriptBlocks: true)
            .Select(node => node.Extent.Text.Replace("@Rest", "", StringComparison.Ordinal).TrimEnd(' ', '-'))
            .ToArray();

        Assert.Equal(5, commands.Length);
        Assert.All(commands, command => Assert.Contains(command, readme, StringComparison.Ordinal));
        Assert.Contains("dotnet run --project src/TorrentActors.Node", commands);
        Assert.Contains("dotnet test TorrentActors.sln", commands);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TorrentActors.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("TorrentActors.sln not found above " + AppContext.BaseDirectory);
    }
}
