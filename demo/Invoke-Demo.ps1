# The main job on the built-in sample. Each step in ./steps (run in name order) reads what earlier steps put in
# $Demo and adds its own stage object, artifact and preview under -OutputPath.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [ValidateSet('Tiny', 'Small', 'Atlas')] [string] $Size = 'Small'
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path (Resolve-Path $ModulePath) 'EmbedPS.psd1') -Force
if (Test-Path $OutputPath) { Remove-Item $OutputPath -Recurse -Force }
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path
$clock = [Diagnostics.Stopwatch]::StartNew()
$process = [Diagnostics.Process]::GetCurrentProcess()
# Each step's wall seconds, CPU seconds (all threads) and peak resident memory. On Linux the kernel's high-water mark (VmHWM)
# is reset at the start of every step (/proc/self/clear_refs), so each step's peak is its own; elsewhere the process's peak so far.
$script:stepLog = [Collections.Generic.List[object]]::new()
$script:openStep = $null
function PeakGB {
    if ($IsLinux) {
        $line = [IO.File]::ReadAllLines('/proc/self/status') | Where-Object { $_ -like 'VmHWM:*' }
        if ($line) { return [double](($line -split '\s+')[1]) / 1MB }
    }
    $process.Refresh()
    $process.PeakWorkingSet64 / 1GB
}
function CpuSeconds { $process.Refresh(); $process.TotalProcessorTime.TotalSeconds }
function CloseStep {
    if (-not $script:openStep) { return }
    $open = $script:openStep
    $script:stepLog.Add([pscustomobject]@{
        Step = $open.Name; WallSeconds = [math]::Round($clock.Elapsed.TotalSeconds - $open.Start, 1)
        CpuSeconds = [math]::Round((CpuSeconds) - $open.Cpu, 1); PeakGB = [math]::Round((PeakGB), 2)
    })
    $script:openStep = $null
}
function Step([string] $name) {
    CloseStep
    Write-Host ("[{0,6:N1}s] {1}" -f $clock.Elapsed.TotalSeconds, $name)
    if ($IsLinux) { try { [IO.File]::WriteAllText('/proc/self/clear_refs', '5') } catch { Write-Verbose "cannot reset the peak: $_" } }
    $script:openStep = @{ Name = $name; Start = $clock.Elapsed.TotalSeconds; Cpu = (CpuSeconds) }
}
$startupCpu = CpuSeconds
$startupPeak = PeakGB
function Out([string] $name) { Join-Path $OutputPath $name }
$Demo = @{ Size = $Size; Metadata = (Out 'entities.csv') }

foreach ($step in Get-ChildItem (Join-Path $PSScriptRoot 'steps') -Filter *.ps1 | Sort-Object Name) {
    . $step.FullName
}

CloseStep
Write-Host ("[{0,6:N1}s] Done" -f $clock.Elapsed.TotalSeconds)
Get-ChildItem $OutputPath | Format-Table Name, Length | Out-String | Write-Host
# The per-step breakdown (build.ps1 -Task Bench -BenchFilter 'atlas demo' reads these lines).
Write-Host 'Per-step breakdown (wall and CPU seconds, peak resident memory during the step):'
Write-Host ("  {0,-60} {1,8} {2,8} {3,8}" -f 'step', 'wall s', 'CPU s', 'peak GB')
Write-Host ("  {0,-60} {1,8:F1} {2,8:F1} {3,8:F2}" -f 'pwsh start and module import (before the first step)', 0, $startupCpu, $startupPeak)
foreach ($s in $script:stepLog) {
    $name = if ($s.Step.Length -gt 60) { $s.Step.Substring(0, 57) + '...' } else { $s.Step }
    Write-Host ("  {0,-60} {1,8:F1} {2,8:F1} {3,8:F2}" -f $name, $s.WallSeconds, $s.CpuSeconds, $s.PeakGB)
}
$peak = [math]::Max($startupPeak, ($script:stepLog | Measure-Object PeakGB -Maximum).Maximum)
Write-Host ("  {0,-60} {1,8:F1} {2,8:F1} {3,8:F2}" -f 'total', $clock.Elapsed.TotalSeconds, (CpuSeconds), $peak)
