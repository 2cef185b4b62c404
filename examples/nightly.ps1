<#
.SYNOPSIS
    Rebuilds the embedding atlas from a pipeline data file, as a scheduled task would (cron, a systemd timer, Task Scheduler).

.DESCRIPTION
    Runs Invoke-EmbeddingPipeline on -ConfigPath (default: the sample pipeline.psd1 beside this script). Stages whose inputs did
    not change are reused; the served atlas (<OutputPath>/latest/atlas) switches to the new run only when every stage
    succeeded. Writes one summary line to the output stream and exits 0; on any failure writes one line, the failing stage
    and the reason, to the error stream and exits 1, leaving the previous atlas served. A run that completes but fails one of
    its gates (pipeline.psd1's Gates section; by default, an input that lost more than half its rows or entities against the
    served run) is written but not served: one line naming the gates on the error stream, exit code 2. SIGINT or SIGTERM cancels the run
    (recorded as 'cancelled' in its run log) and exits 130 or 143 with one line on the error stream; after SIGKILL the next
    run marks the killed run 'abandoned' and recovers. Warnings go to the run log, not to the output. The run log is
    <OutputPath>/latest/run.json (or runs/<id>/run.json for a failed or cancelled run).

    For the bundled sample, the input (examples/data/plays.parquet and maps.csv) is made from New-SyntheticCollection the
    first time, so the script runs on a fresh clone after `dotnet pwsh ./build.ps1 -Task Build`.

.EXAMPLE
    pwsh -NoProfile -File examples/nightly.ps1

.EXAMPLE
    pwsh -NoProfile -File /srv/atlas/nightly.ps1 -ConfigPath /srv/atlas/pipeline.psd1 -ModulePath /opt/EmbedPS/EmbedPS.psd1
#>
[CmdletBinding()]
param(
    # The pipeline data file.
    [string] $ConfigPath = (Join-Path $PSScriptRoot 'pipeline.psd1'),
    # The EmbedPS module to import (default: this repository's built ./EmbedPS when present, else the installed module).
    [string] $ModulePath,
    # Rerun every stage.
    [switch] $Force,
    # Serve the run even when it fails a gate (recorded in run.json).
    [switch] $AcceptGates
)
$ErrorActionPreference = 'Stop'
# A scheduled job's output is mailed or logged: one line on success (stdout, exit 0), one line on failure (stderr): exit 1 for a
# failed stage or bad input, 2 for a run that failed a gate (written, not served), 130 or 143 when SIGINT or SIGTERM cancelled it. Warnings are in the run log (run.json), not here.
$exitCode = $null
try {
    $repoModule = Join-Path $PSScriptRoot '../EmbedPS/EmbedPS.psd1'
    if ($ModulePath) { Import-Module $ModulePath }
    elseif (Test-Path $repoModule) { Import-Module $repoModule }
    else { Import-Module EmbedPS }

    $sample = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot 'pipeline.psd1'))
    $data = Join-Path $PSScriptRoot 'data'
    if ([IO.Path]::GetFullPath($ConfigPath) -eq $sample -and -not (Test-Path (Join-Path $data 'plays.parquet'))) {
        $null = New-Item -ItemType Directory $data -Force
        $null = New-SyntheticCollection -Size Small -Seed 42 -MetadataPath (Join-Path $data 'maps.csv') -OutFile (Join-Path $data 'plays.parquet') -WarningAction SilentlyContinue
    }

    $run = Invoke-EmbeddingPipeline -Path $ConfigPath -Force:$Force -AcceptGates:$AcceptGates -WarningAction SilentlyContinue
    $run.Summary
    $exitCode = 0
}
catch {
    $message = if ($_.ErrorDetails.Message) { $_.ErrorDetails.Message } else { $_.Exception.Message }
    [Console]::Error.WriteLine("nightly: $message")
    $exitCode = if ($_.FullyQualifiedErrorId -like 'PipelineCancelled*') { $message -match 'SIGTERM' ? 143 : 130 }
                elseif ($_.FullyQualifiedErrorId -like 'PipelineGatesFailed*') { 2 }
                else { 1 }
}
finally {
    # Stopped by the host (Ctrl+C in a terminal): neither branch above ran, and PowerShell would end the script with exit code 0.
    if ($null -eq $exitCode) {
        [Console]::Error.WriteLine('nightly: interrupted; the run was cancelled and the previous atlas is still served (see the run log, run.json).')
        [Environment]::Exit(130)
    }
}
exit $exitCode
