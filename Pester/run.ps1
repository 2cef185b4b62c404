# Runs every *.Tests.ps1 here against the built module folder and writes a summary for build.ps1.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    # Only the tests with these tags (build.ps1 -Fast passes Unit); every test file tags its Describe blocks with one tier:
    # Unit, Integration, Browser or Slow.
    [string[]] $Tag
)
$ErrorActionPreference = 'Stop'
$nuget = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
$pester = Join-Path $nuget 'pester/6.2.0/tools/Pester.psd1'
if (-not (Test-Path $pester) -or -not (Test-Path (Join-Path $nuget 'mathnet.numerics/4.15.0'))) {
    & dotnet restore (Join-Path $PSScriptRoot '../tools/pester.csproj') --nologo -v quiet | Out-Null
}
Import-Module $pester -Force
$env:EMBEDPS_MODULE_PATH = (Resolve-Path $ModulePath).Path
$configuration = New-PesterConfiguration
# The suite, and the tests a user keeps beside the sample pipeline (examples/pipeline.Tests.ps1).
$configuration.Run.Path = @($PSScriptRoot, (Join-Path $PSScriptRoot '../examples/pipeline.Tests.ps1'))
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($Tag) { $configuration.Filter.Tag = $Tag }
$result = Invoke-Pester -Configuration $configuration
# The tests a -Tag filter left out, by the tier their Describe block carries.
function Get-Tier($test) {
    for ($block = $test.Block; $block; $block = $block.Parent) {
        foreach ($t in @($block.Tag)) { if ($t -in 'Unit', 'Integration', 'Browser', 'Slow') { return $t } }
    }
    'no tier'
}
$skipped = @($result.Tests | Where-Object Result -eq 'NotRun' | ForEach-Object { Get-Tier $_ } | Group-Object -NoElement |
    ForEach-Object { [pscustomobject]@{ Tier = $_.Name; Count = $_.Count } })
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount; Skipped = $skipped } |
    ConvertTo-Json -Depth 3 | Set-Content $SummaryPath
"Pester: $($result.PassedCount) passed, $($result.FailedCount) failed"
