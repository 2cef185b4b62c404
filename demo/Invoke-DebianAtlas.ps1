# A real dataset on any Debian or Ubuntu machine: the distribution's packages as collections of their dependencies.
# Two libraries sit near each other when the same packages depend on both (the Python, Perl, Qt/KDE, GTK/GNOME, R, OCaml…
# ecosystems), coloured by their archive section (about 50 categories), sized by how many packages depend on them.
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
Import-Module (Join-Path (Resolve-Path $ModulePath) 'EmbedPS.psd1') -Force
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path
$clock = [Diagnostics.Stopwatch]::StartNew()
function Step([string] $name) { Write-Host ("[{0,6:N1}s] {1}" -f $clock.Elapsed.TotalSeconds, $name) }

Step 'Reading the package index (apt-cache dumpavail)'
$dataset = & (Join-Path $PSScriptRoot 'Export-DebianDependencies.ps1') -OutputPath $OutputPath
$collections = Join-Path $OutputPath 'dependencies.csv'
$metadata = Join-Path $OutputPath 'packages.csv'
Step ("{0:N0} packages, {1:N0} dependency pairs" -f $dataset.Packages, $dataset.Pairs)

Step 'Collections → co-occurrence → neighbours → MDE → UMAP and t-SNE'
$set = Import-EntityCollection $collections -CollectionProperty package -EntityProperty dependency |
    Select-EntityCollection -MinCollections $MinCollections
$set | Format-Table | Out-String | Write-Host
$embedding = $set | New-CooccurrenceMatrix | Invoke-NeighborPreservation -NeighborCount 15 -ConnectComponents -Seed $Seed |
    Invoke-Mde -Dimension 3 -Seed $Seed -OutFile (Join-Path $OutputPath 'embedding.parquet')
$umap = $embedding | ConvertTo-Projection -Method Umap -Seed $Seed -OutFile (Join-Path $OutputPath 'umap.parquet')
$tsne = $embedding | ConvertTo-Projection -Method Tsne -Seed $Seed -AlignTo $umap -OutFile (Join-Path $OutputPath 'tsne.parquet')

Step 'Atlas'
$atlas = $umap, $tsne | Export-EmbeddingAtlas -Path (Join-Path $OutputPath 'atlas') -Embedding $embedding -Metadata $metadata -IdProperty package `
    -ColorProperty section -SizeProperty popularity -TooltipProperty section, description -SearchProperty description -LinkProperty url `
    -Title "Debian packages by shared dependents ($($umap.EntityCount.ToString('N0')) dependencies)" -PassThru
$atlas | Format-List | Out-String | Write-Host
$umap | Measure-Embedding -Reference $embedding -Metadata $metadata -IdProperty package -LabelProperty section | Format-List | Out-String | Write-Host
Step "Open the atlas: $($atlas.IndexPath)"
