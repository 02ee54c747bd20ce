param([ValidateSet('build', 'test', 'run', 'bench', 'pack')][string]$Target = 'build')
$ErrorActionPreference = 'Stop'
switch ($Target) {
    'build' { dotnet build TorrentActors.sln -c Release }
    'test'  { dotnet test TorrentActors.sln }
    'run'   { dotnet run --project src/TorrentActors.Node }
    'bench' { dotnet run -c Release --project tests/TorrentActors.Benchmarks }
    'pack'  { dotnet pack TorrentActors.sln -c Release -o artifacts }
}
exit $LASTEXITCODE
