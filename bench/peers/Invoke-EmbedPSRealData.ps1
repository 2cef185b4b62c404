# EmbedPS on a real entity-collection dataset with its defaults, through the cmdlets a user runs:
# Import-EntityCollection → New-CooccurrenceMatrix → Invoke-NeighborPreservation → Invoke-Mde → ConvertTo-Projection.
# Writes <OutputPath>/embedding.csv (3-D) and <OutputPath>/map.csv (2-D UMAP), entity,coordinates..., for
# bench/peers/quality.py, and prints the stage times as the harness's RESULT line.
#   dotnet pwsh bench/peers/Invoke-EmbedPSRealData.ps1 -ModulePath ./EmbedPS -Dataset ./bench-data/debian -OutputPath ./bench-data/debian/embedps
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Dataset,
    [Parameter(Mandatory)] [string] $OutputPath,
    [int] $Seed = 0
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path (Resolve-Path $ModulePath) 'EmbedPS.psd1') -Force
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path
$clock = [Diagnostics.Stopwatch]::StartNew()
$times = [ordered]@{}
function Lap([string] $name) { $times[$name] = [math]::Round($clock.Elapsed.TotalSeconds, 3); $clock.Restart() }

$set = Import-EntityCollection (Join-Path $Dataset 'pairs.csv') -CollectionProperty collection -EntityProperty entity
Lap 'import_s'
$matrix = $set | New-CooccurrenceMatrix
Lap 'cooccurrence_s'
$graph = $matrix | Invoke-NeighborPreservation -Seed $Seed
Lap 'neighbors_s'
$embedding = $graph | Invoke-Mde -Seed $Seed
Lap 'embed_s'
$map = $embedding | ConvertTo-Projection -Method Umap -Seed $Seed
Lap 'umap_s'

function Write-Coordinates([string] $path, $entities, [int] $dimension, [scriptblock] $value) {
    $culture = [Globalization.CultureInfo]::InvariantCulture
    $writer = [IO.StreamWriter]::new($path)
    try {
        for ($i = 0; $i -lt $entities.Count; $i++) {
            $line = $entities.GetText($i)
            for ($d = 0; $d -lt $dimension; $d++) { $line += ',' + (& $value $i $d).ToString('R', $culture) }
            $writer.WriteLine($line)
        }
    } finally { $writer.Dispose() }
}
Write-Coordinates (Join-Path $OutputPath 'embedding.csv') $embedding.Entities $embedding.Dimension { param($i, $d) $embedding.Coordinates[$i * $embedding.Dimension + $d] }
Write-Coordinates (Join-Path $OutputPath 'map.csv') $map.Entities 2 { param($i, $d) if ($d -eq 0) { $map.X[$i] } else { $map.Y[$i] } }
$times['entities'] = $embedding.Entities.Count
$times['distortion'] = $embedding.FinalDistortion
'RESULT ' + ($times | ConvertTo-Json -Compress)
