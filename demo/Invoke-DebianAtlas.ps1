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
if (-not (Get-Command apt-cache -ErrorAction SilentlyContinue)) { throw 'apt-cache not found: this example needs a Debian or Ubuntu machine.' }
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path
$clock = [Diagnostics.Stopwatch]::StartNew()
function Step([string] $name) { Write-Host ("[{0,6:N1}s] {1}" -f $clock.Elapsed.TotalSeconds, $name) }

Step 'Reading the package index (apt-cache dumpavail)'
$pairs = [Collections.Generic.List[string]]::new()
$meta = @{}
$package = $null; $fields = @{}
function Save-Package {
    if (-not $package) { return }
    $meta[$package] = $fields
    foreach ($key in 'Depends', 'Pre-Depends', 'Recommends') {
        if (-not $fields[$key]) { continue }
        foreach ($clause in $fields[$key] -split ',') {
            # "a (>= 1) | b" → the first alternative, without version or architecture qualifiers.
            $name = ($clause -split '\|')[0].Trim() -replace '\s*\(.*$', '' -replace ':.*$', ''
            if ($name -and $name -ne $package) { $pairs.Add("""$package"",""$name""") }
        }
    }
}
foreach ($line in (apt-cache dumpavail)) {
    if ($line -eq '') { Save-Package; $package = $null; $fields = @{}; continue }
    if ($line -match '^(Package|Section|Priority|Homepage|Description|Installed-Size|Depends|Pre-Depends|Recommends): (.*)$') {
        if ($Matches[1] -eq 'Package') { $package = $Matches[2] } else { $fields[$Matches[1]] = $Matches[2] }
    }
}
Save-Package
$collections = Join-Path $OutputPath 'dependencies.csv'
Set-Content $collections -Value (@('package,dependency') + $pairs) -Encoding utf8NoBOM
Step ("{0:N0} packages, {1:N0} dependency pairs" -f $meta.Count, $pairs.Count)

$metadata = Join-Path $OutputPath 'packages.csv'
$meta.GetEnumerator() | ForEach-Object {
    $section = if ($_.Value['Section']) { ($_.Value['Section'] -split '/')[-1] } else { '' }
    [pscustomobject]@{
        package     = $_.Key
        section     = $section
        priority    = $_.Value['Priority']
        description = $_.Value['Description']
        size_kb     = $_.Value['Installed-Size']
        url         = $_.Value['Homepage']
    }
} | Export-Csv $metadata -NoTypeInformation -Encoding utf8NoBOM

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
