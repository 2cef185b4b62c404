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
function Step([string] $name) { Write-Host ("[{0,6:N1}s] {1}" -f $clock.Elapsed.TotalSeconds, $name) }
function Out([string] $name) { Join-Path $OutputPath $name }
$Demo = @{ Size = $Size; Metadata = (Out 'entities.csv') }

foreach ($step in Get-ChildItem (Join-Path $PSScriptRoot 'steps') -Filter *.ps1 | Sort-Object Name) {
    . $step.FullName
}

Step 'Done'
Get-ChildItem $OutputPath | Format-Table Name, Length | Out-String | Write-Host
