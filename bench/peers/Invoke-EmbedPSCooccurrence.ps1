# EmbedPS's side of the cooccurrence/ peer rows through the cmdlet a user runs: the synthetic preset the row's incidence file
# holds (New-SyntheticCollection -Size Small|Atlas, seed 42), then `$set | New-CooccurrenceMatrix` timed on its own (the
# collections already in memory, as the kernel's side and SciPy's are timed after reading theirs). Prints one RESULT line.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [ValidateSet('Small', 'Atlas')] [string] $Size = 'Atlas'
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path (Resolve-Path $ModulePath) 'EmbedPS.psd1') -Force
$set = New-SyntheticCollection -Size $Size -Seed 42
$clock = [Diagnostics.Stopwatch]::StartNew()
$matrix = $set | New-CooccurrenceMatrix
$seconds = $clock.Elapsed.TotalSeconds
'RESULT ' + (@{ seconds = $seconds; nonzeros = $matrix.NonZeroCount } | ConvertTo-Json -Compress)
