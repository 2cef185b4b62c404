# A parameter sweep on a real dataset: the Debian packages of Invoke-DebianAtlas.ps1, projected with 3 UMAP neighbour
# counts × 3 min_dist values in one pipeline: 9 projections, their quality table (quality.csv), a contact sheet
# (sweep.png) and one atlas with 9 named layouts (atlas/index.html). -Single runs the same pipeline with one value each,
# for the cost comparison in docs/projection.md.
#   dotnet pwsh demo/Invoke-DebianSweep.ps1 -ModulePath ./EmbedPS -OutputPath ./out/debian-sweep
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [int[]] $Neighbors = @(5, 15, 50),
    [double[]] $MinDistance = @(0.05, 0.1, 0.5),
    [switch] $Single,
    [int] $Seed = 42
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path (Resolve-Path $ModulePath) 'EmbedPS.psd1') -Force
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path
if ($Single) { $Neighbors = @(15); $MinDistance = @(0.1) }
$clock = [Diagnostics.Stopwatch]::StartNew()
$times = [ordered]@{}
function Step([string] $name) { Write-Host ("[{0,6:N1}s] {1}" -f $clock.Elapsed.TotalSeconds, $name); $script:times[$name] = $clock.Elapsed.TotalSeconds }

Step 'Reading the package index (apt-cache dumpavail)'
$dataset = & (Join-Path $PSScriptRoot 'Export-DebianDependencies.ps1') -OutputPath $OutputPath
$collections = Join-Path $OutputPath 'dependencies.csv'
$metadata = Join-Path $OutputPath 'packages.csv'

Step 'Collections → co-occurrence → neighbours → MDE (once)'
$embedding = Import-EntityCollection $collections -CollectionProperty package -EntityProperty dependency |
    Select-EntityCollection -MinCollections 5 | New-CooccurrenceMatrix |
    Invoke-NeighborPreservation -NeighborCount 15 -ConnectComponents -Seed $Seed |
    Invoke-Mde -Dimension 3 -Seed $Seed -OutFile (Join-Path $OutputPath 'embedding.parquet')

Step ("UMAP: -Neighbors {0} × -MinDistance {1}" -f ($Neighbors -join ','), ($MinDistance -join ','))
$maps = $embedding | ConvertTo-Projection -Neighbors $Neighbors -MinDistance $MinDistance -Seed $Seed -OutFile (Join-Path $OutputPath 'map.parquet')

Step 'Quality table (Measure-Embedding, each map against its own embedding)'
$table = $maps | Measure-Embedding -Metadata $metadata -IdProperty package -LabelProperty section
$table | Sort-Object Trustworthiness -Descending | Format-Table | Out-String | Write-Host
$table | Export-Csv (Join-Path $OutputPath 'quality.csv')

Step 'Contact sheet'
$null = $maps | Export-EmbeddingPreview -ContactSheet -Path (Join-Path $OutputPath 'sweep.png') -Metadata $metadata -IdProperty package -ColorProperty section

Step 'Atlas'
$atlas = $maps | Export-EmbeddingAtlas -Path (Join-Path $OutputPath 'atlas') -Embedding $embedding -Metadata $metadata -IdProperty package `
    -ColorProperty section -SizeProperty popularity -TooltipProperty section, description -SearchProperty description -LinkProperty url `
    -Title "Debian packages: a UMAP sweep ($($maps.Count) layouts)" -PassThru
$atlas | Format-List | Out-String | Write-Host
Step 'Done'
$times | ConvertTo-Json | Set-Content (Join-Path $OutputPath 'times.json')
Write-Host "Open the atlas: $($atlas.IndexPath)"
