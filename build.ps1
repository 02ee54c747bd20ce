# A thin wrapper over the dotnet commands in README.md. Extra arguments go to the command,
# e.g. `./build.ps1 bench make` or `./build.ps1 run -- --json`.
param(
    [ValidateSet('build', 'test', 'run', 'bench', 'pack')][string]$Target = 'build',
    [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest = @()
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
switch ($Target) {
    'build' { dotnet build TorrentActors.sln -c Release @Rest }
    'test'  { dotnet test TorrentActors.sln @Rest }
    'run'   { dotnet run --project src/TorrentActors.Node @Rest }
    'bench' { dotnet run -c Release --project tests/TorrentActors.Benchmarks -- @Rest }
    'pack'  { dotnet pack TorrentActors.sln -c Release -o artifacts @Rest }
}
exit $LASTEXITCODE
