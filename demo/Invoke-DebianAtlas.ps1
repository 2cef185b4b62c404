# A real dataset on any Debian or Ubuntu machine: the distribution's packages as collections of their dependencies.
# Two libraries sit near each other when the same packages depend on both (the Python, Perl, Qt/KDE, GTK/GNOME, R, OCaml…
# ecosystems), coloured by their archive section (about 50 categories), sized by how many packages depend on them.
# Ends with the time each step took (wall clock and this process' CPU time; apt-cache and awk run as their own processes)
# and the process' peak memory.
#   dotnet pwsh demo/Invoke-DebianAtlas.ps1 -ModulePath ./EmbedPS -OutputPath ./out/debian
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath,
    # Keep dependencies that at least this many packages depend on.
    [int] $MinCollections = 5,
    [int] $Seed = 42
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$process = [Diagnostics.Process]::GetCurrentProcess()
$steps = [Collections.Generic.List[object]]::new()
# The process started before this script did: PowerShell's own start-up is the first step.
$steps.Add([pscustomobject]@{ Step = 'PowerShell start'; Seconds = ([datetime]::Now - $process.StartTime).TotalSeconds; CpuSeconds = $process.TotalProcessorTime.TotalSeconds })
$clock = [Diagnostics.Stopwatch]::StartNew()
$last = @{ Wall = 0.0; Cpu = $process.TotalProcessorTime.TotalSeconds }
function Step([string] $name) {
    $process.Refresh()
    $wall = $clock.Elapsed.TotalSeconds; $cpu = $process.TotalProcessorTime.TotalSeconds
    $script:steps.Add([pscustomobject]@{ Step = $name; Seconds = $wall - $last.Wall; CpuSeconds = $cpu - $last.Cpu })
    Write-Host ("[{0,6:N1}s] {1}" -f $wall, $name)
    $last.Wall = $wall; $last.Cpu = $cpu
}

Import-Module (Join-Path (Resolve-Path $ModulePath) 'EmbedPS.psd1') -Force
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path
Step 'Import-Module'

$dataset = & (Join-Path $PSScriptRoot 'Export-DebianDependencies.ps1') -OutputPath $OutputPath
$collections = Join-Path $OutputPath 'dependencies.csv'
$metadata = Join-Path $OutputPath 'packages.csv'
Step 'Package index → CSV'
Write-Host ("{0:N0} packages, {1:N0} dependency pairs" -f $dataset.Packages, $dataset.Pairs)

$set = Import-EntityCollection $collections -CollectionProperty package -EntityProperty dependency |
    Select-EntityCollection -MinCollections $MinCollections
Step 'Collections (import, select)'
$set | Format-Table | Out-String | Write-Host
$cooccurrence = $set | New-CooccurrenceMatrix
Step 'Co-occurrence'
$graph = $cooccurrence | Invoke-NeighborPreservation -NeighborCount 15 -ConnectComponents -Seed $Seed
Step 'Neighbours (graph kNN)'
$embedding = $graph | Invoke-Mde -Dimension 3 -Seed $Seed -OutFile (Join-Path $OutputPath 'embedding.parquet')
Step 'MDE (3-D)'
$umap = $embedding | ConvertTo-Projection -Method Umap -Seed $Seed -OutFile (Join-Path $OutputPath 'umap.parquet')
Step 'UMAP'
$tsne = $embedding | ConvertTo-Projection -Method Tsne -Seed $Seed -AlignTo $umap -OutFile (Join-Path $OutputPath 'tsne.parquet')
Step 't-SNE'

$atlas = $umap, $tsne | Export-EmbeddingAtlas -Path (Join-Path $OutputPath 'atlas') -Embedding $embedding -Metadata $metadata -IdProperty package `
    -ColorProperty section -SizeProperty popularity -TooltipProperty section, description -SearchProperty description -LinkProperty url `
    -Title "Debian packages by shared dependents ($($umap.EntityCount.ToString('N0')) dependencies)" -PassThru
Step 'Atlas'
$atlas | Format-List | Out-String | Write-Host
$quality = $umap | Measure-Embedding -Reference $embedding -Metadata $metadata -IdProperty package -LabelProperty section
Step 'Measure-Embedding'
$quality | Format-List | Out-String | Write-Host

$process.Refresh()
$steps.Add([pscustomobject]@{ Step = 'Total'; Seconds = ($steps | Measure-Object Seconds -Sum).Sum; CpuSeconds = $process.TotalProcessorTime.TotalSeconds })
$steps | Format-Table Step, @{ n = 'Seconds'; e = { $_.Seconds.ToString('N2') }; a = 'Right' }, @{ n = 'CPU s'; e = { $_.CpuSeconds.ToString('N2') }; a = 'Right' } |
    Out-String -Width 120 | Write-Host
Write-Host ("Peak memory of this process: {0:N0} MB. Open the atlas: {1}" -f ($process.PeakWorkingSet64 / 1MB), $atlas.IndexPath)
