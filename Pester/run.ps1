# Runs every *.Tests.ps1 here against the built module folder and writes a summary for build.ps1.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SummaryPath
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
$configuration.Filter.ExcludeTag = @('GPU')
$result = Invoke-Pester -Configuration $configuration
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount } |
    ConvertTo-Json | Set-Content $SummaryPath
"Pester: $($result.PassedCount) passed, $($result.FailedCount) failed"
