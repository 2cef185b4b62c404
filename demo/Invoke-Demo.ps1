# The main job on the built-in sample: each stage's artifact (and preview) lands in -OutputPath.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [ValidateSet('Tiny', 'Small', 'Atlas')] [string] $Size = 'Small'
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path (Resolve-Path $ModulePath) 'EmbedPS.psd1') -Force
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$clock = [Diagnostics.Stopwatch]::StartNew()
function Step([string] $name) { Write-Host ("[{0,6:N1}s] {1}" -f $clock.Elapsed.TotalSeconds, $name) }

Step "Generating the $Size sample"
$metadata = Join-Path $OutputPath 'entities.csv'
$collections = New-SyntheticCollection -Size $Size -Seed 42 -MetadataPath $metadata -OutFile (Join-Path $OutputPath 'collections.parquet')
$collections | Format-Table | Out-String | Write-Host

Step 'Round trip through the artifact'
$again = Import-EmbedArtifact (Join-Path $OutputPath 'collections.parquet')
if ($again.PairCount -ne $collections.PairCount) { throw 'The collections artifact did not round-trip.' }

Step 'Done'
Get-ChildItem $OutputPath | Format-Table Name, Length | Out-String | Write-Host
