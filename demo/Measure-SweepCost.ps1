# The projection step of a 3 × 3 UMAP sweep against one run and against nine separate calls, in one warm process: wall and
# CPU time (docs/projection.md, "Cost of a 3 × 3 sweep"). -Embedding: the embedding.parquet that demo/Invoke-DebianSweep.ps1 writes.
#   dotnet pwsh demo/Measure-SweepCost.ps1 -ModulePath ./EmbedPS -Embedding ./out/debian-sweep/embedding.parquet
param([Parameter(Mandatory)] [string] $ModulePath, [Parameter(Mandatory)] [string] $Embedding)
$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path (Resolve-Path $ModulePath) "EmbedPS.psd1")
$e = Import-EmbedArtifact $Embedding
$proc = [Diagnostics.Process]::GetCurrentProcess()
function Measure-It([string] $name, [scriptblock] $block) {
    $load = (Get-Content /proc/loadavg).Split(' ')[0]
    $proc.Refresh(); $cpu0 = $proc.TotalProcessorTime.TotalSeconds
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $n = @(& $block).Count
    $sw.Stop(); $proc.Refresh()
    '{0,-34} {1,2} maps  wall {2,6:N1} s  cpu {3,6:N1} s  load {4}' -f $name, $n, $sw.Elapsed.TotalSeconds, ($proc.TotalProcessorTime.TotalSeconds - $cpu0), $load
}
$null = $e | ConvertTo-Projection -Epochs 5     # warm up the JIT
foreach ($round in 1, 2) {
    Measure-It 'one run (k 15, min_dist 0.1)' { $e | ConvertTo-Projection -Seed 42 }
    Measure-It '3 x 3 sweep (one call)' { $e | ConvertTo-Projection -Neighbors 5, 15, 50 -MinDistance 0.05, 0.1, 0.5 -Seed 42 }
    Measure-It '3 x 3 as 9 separate calls' { foreach ($k in 5, 15, 50) { foreach ($md in 0.05, 0.1, 0.5) { $e | ConvertTo-Projection -Neighbors $k -MinDistance $md -Seed 42 } } }
}
