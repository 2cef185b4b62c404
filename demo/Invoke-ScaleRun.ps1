# The whole pipeline at a chosen scale, in one process, timing every stage and measuring its peak resident memory.
# The recipe of docs/scale.md; ScaleBench (bench/EmbedPS.Bench/Cases/ScaleBench.cs) runs it once per size.
#
#   dotnet pwsh demo/Invoke-ScaleRun.ps1 -ModulePath ./EmbedPS -OutputPath ./out/scale-1m -EntityCount 1000000
#
# The sample is New-SyntheticCollection's generator scaled from the atlas preset (50,000 entities, 300,000 collections):
# 6 collections per entity, the same groups and Zipf popularity, mean collection size 30 rather than 60 (co-occurrence
# work grows with the sum of squared collection sizes, so this quarters it). Co-occurrence keeps each entity's
# -MaxPartners strongest partners at every size, so that every size runs the same algorithm.
# Peak memory is the process's peak resident set (VmHWM), reset before each stage through /proc/self/clear_refs (Linux),
# so each stage's figure includes what earlier stages still hold (the stage objects the next one needs).
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [ValidateRange(1000, 50000000)] [int] $EntityCount = 1000000,
    [double] $CollectionsPerEntity = 6,
    [double] $MeanCollectionSize = 30,
    [int] $MaxPartners = 64,
    [int] $NeighborCount = 15,
    [int] $MdeIterations = 300,
    [int] $Seed = 42,
    # Skip the atlas export (the other stages are what the growth table compares).
    [switch] $NoAtlas,
    # Where to write the per-stage results as JSON (default: <OutputPath>/scale-run.json).
    [string] $ResultPath
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path (Resolve-Path $ModulePath) 'EmbedPS.psd1') -Force
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path
Remove-Item (Join-Path $OutputPath 'atlas') -Recurse -Force -ErrorAction Ignore
if (-not $ResultPath) { $ResultPath = Join-Path $OutputPath 'scale-run.json' }

$canResetPeak = $IsLinux -and (Test-Path /proc/self/clear_refs)
function Get-ResidentPeak {
    # VmHWM: the peak resident set since start or since the last reset, in kB.
    if (-not $IsLinux) { return [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 }
    $line = Select-String -Path /proc/self/status -Pattern '^VmHWM:\s+(\d+)' | Select-Object -First 1
    [long] $line.Matches[0].Groups[1].Value * 1024
}
function Get-Resident {
    if (-not $IsLinux) { return [Diagnostics.Process]::GetCurrentProcess().WorkingSet64 }
    $line = Select-String -Path /proc/self/status -Pattern '^VmRSS:\s+(\d+)' | Select-Object -First 1
    [long] $line.Matches[0].Groups[1].Value * 1024
}
$stages = [Collections.Generic.List[object]]::new()
$total = [Diagnostics.Stopwatch]::StartNew()
function Measure-Stage([string] $Name, [scriptblock] $Body, [scriptblock] $Describe) {
    # Let the GC give back what the previous stage dropped, then restart the peak from the current resident set.
    [GC]::Collect(2, [GCCollectionMode]::Forced, $true, $true)
    [GC]::WaitForPendingFinalizers()
    if ($canResetPeak) { [IO.File]::WriteAllText('/proc/self/clear_refs', '5') }
    $before = Get-Resident
    $cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $result = & $Body
    $clock.Stop()
    $row = [ordered]@{
        stage       = $Name
        seconds     = [Math]::Round($clock.Elapsed.TotalSeconds, 2)
        cpuSeconds  = [Math]::Round([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds - $cpu, 1)
        peakRssGB   = [Math]::Round((Get-ResidentPeak) / 1GB, 3)
        startRssGB  = [Math]::Round($before / 1GB, 3)
        detail      = if ($Describe) { & $Describe $result } else { '' }
    }
    $stages.Add([pscustomobject] $row)
    Write-Host ("[{0,7:N1}s] {1,-14} {2,8:N1} s  peak {3,6:N2} GB  {4}" -f $total.Elapsed.TotalSeconds, $Name, $row.seconds, $row.peakRssGB, $row.detail)
    $result
}

$collectionCount = [int][Math]::Round($EntityCount * $CollectionsPerEntity)
$metadata = Join-Path $OutputPath 'entities.csv'
$collections = Measure-Stage 'collections' {
    New-SyntheticCollection -Size Atlas -EntityCount $EntityCount -CollectionCount $collectionCount -MeanCollectionSize $MeanCollectionSize -Seed $Seed -MetadataPath $metadata
} { param($r) "{0:N0} entities, {1:N0} collections, {2:N0} memberships" -f $r.EntityCount, $r.CollectionCount, $r.PairCount }

$cooccurrence = Measure-Stage 'cooccurrence' {
    $collections | New-CooccurrenceMatrix -MaxPartners $MaxPartners
} { param($r) "{0:N0} pairs kept (top {1}) of {2:N0}" -f $r.PairCount, $MaxPartners, ([long] $r.Provenance.Parameters['ExactNonZeros'] / 2) }
$collections = $null

$graph = Measure-Stage 'neighbors' {
    $cooccurrence | Invoke-NeighborPreservation -NeighborCount $NeighborCount -Seed $Seed
} { param($r) "{0:N0} edges" -f $r.EdgeCount }
$cooccurrence = $null

$embedding = Measure-Stage 'mde' {
    $graph | Invoke-Mde -Dimension 3 -MaxIterations $MdeIterations -Seed $Seed
} { param($r) "distortion {0:G4}" -f $r.FinalDistortion }
$graph = $null

$projection = Measure-Stage 'umap' {
    $embedding | ConvertTo-Projection -Method Umap -Seed $Seed -NoQuality
} { param($r) "{0:N0} points" -f $r.EntityCount }

if (-not $NoAtlas) {
    $atlas = Measure-Stage 'atlas' {
        $projection | Export-EmbeddingAtlas -Path (Join-Path $OutputPath 'atlas') -Embedding $embedding -Metadata $metadata `
            -Title "EmbedPS at $($EntityCount.ToString('N0')) entities" -TooltipProperty group, subgroup, popularity -PassThru
    } { param($r) "{0:N1} MB of data" -f ($r.DataBytes / 1MB) }
}

$total.Stop()
$summary = [ordered]@{
    entityCount          = $EntityCount
    collectionCount      = $collectionCount
    meanCollectionSize   = $MeanCollectionSize
    maxPartners          = $MaxPartners
    neighborCount        = $NeighborCount
    mdeIterations        = $MdeIterations
    processorCount       = [Environment]::ProcessorCount
    totalSeconds         = [Math]::Round($total.Elapsed.TotalSeconds, 1)
    peakRssGB            = ($stages | Measure-Object peakRssGB -Maximum).Maximum
    stages               = $stages
}
$summary | ConvertTo-Json -Depth 4 | Set-Content -Path $ResultPath -Encoding utf8NoBOM
Write-Host ("Total {0:N1} s, peak resident {1:N2} GB; results in {2}" -f $summary.totalSeconds, $summary.peakRssGB, $ResultPath)
