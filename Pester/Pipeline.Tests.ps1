# Invoke-EmbeddingPipeline and examples/nightly.ps1 as a scheduled task runs them: `pwsh -File`, exit codes, the served
# 'latest' atlas, and what happens when a run fails, is killed, runs out of disk or overlaps another.
BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:repoRoot = Split-Path $PSScriptRoot -Parent
    $script:nightly = Join-Path $script:repoRoot 'examples/nightly.ps1'
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-pipeline-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null

    # The user's data: collections and metadata (the Tiny sample, 400 entities).
    $script:data = New-Item -ItemType Directory (Join-Path $script:dir 'data')
    $script:plays = Join-Path $script:data 'plays.parquet'
    $script:set = New-SyntheticCollection -Size Tiny -Seed 42 -MetadataPath (Join-Path $script:data 'maps.csv') -OutFile $script:plays
    function New-PipelineFile([string] $Folder, [string] $Extra = '') {
        New-Item -ItemType Directory $Folder -Force | Out-Null
        $path = Join-Path $Folder 'pipeline.psd1'
        @"
@{
    Name        = 'tiny'
    OutputPath  = './site'
    Input       = @{ Path = '$($script:plays)'; CollectionProperty = 'collection'; EntityProperty = 'entity' }
    Neighbors   = @{ Seed = 1 }
    Mde         = @{ MaxIterations = 60; Seed = 1 }
    Projections = @( @{ Method = 'Umap'; Seed = 3; Epochs = 150 } )
    Metadata    = @{ Path = '$(Join-Path $script:data 'maps.csv')' }
    Atlas       = @{ Title = 'Tiny'; ColorProperty = 'group' }
    AlignTo     = 'latest'
    KeepRuns    = 3
$Extra
}
"@ | Set-Content -LiteralPath $path
        $path
    }

    # examples/nightly.ps1 in a new pwsh, as cron or Task Scheduler starts it; returns the exit code and what it wrote.
    function Start-Nightly([string] $Config, [hashtable] $Environment = @{}) {
        $exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
        $start = [Diagnostics.ProcessStartInfo]::new()
        if (Test-Path $exe) { $start.FileName = $exe } else { $start.FileName = 'dotnet'; $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', $script:nightly, '-ConfigPath', $Config, '-ModulePath', (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1')) {
            $start.ArgumentList.Add($a)
        }
        $start.WorkingDirectory = $script:dir
        $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true; $start.UseShellExecute = $false
        $start.Environment['NO_COLOR'] = '1'
        $start.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
        $start.Environment['POWERSHELL_UPDATECHECK'] = 'Off'
        foreach ($key in $Environment.Keys) { $start.Environment[$key] = $Environment[$key] }
        $process = [Diagnostics.Process]::Start($start)
        [pscustomobject]@{ Process = $process; Out = $process.StandardOutput.ReadToEndAsync(); Err = $process.StandardError.ReadToEndAsync() }
    }
    function Wait-Nightly($started) {
        $started.Process.WaitForExit()
        [pscustomobject]@{ ExitCode = $started.Process.ExitCode; Out = $started.Out.Result.Trim(); Err = $started.Err.Result.Trim() }
    }
    function Invoke-Nightly([string] $Config, [hashtable] $Environment = @{}) { Wait-Nightly (Start-Nightly $Config $Environment) }

    # What a web server would serve.
    function Get-Served([string] $Folder) {
        $latest = Join-Path $Folder 'site/latest'
        [pscustomobject]@{ Target = (Get-Item $latest).LinkTarget; Index = (Get-FileHash (Join-Path $latest 'atlas/index.html')).Hash }
    }
    function Get-Leftover([string] $Folder) { @(Get-ChildItem $Folder -Recurse -Force | Where-Object Name -like '*.tmp*') }
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'examples/nightly.ps1 as a scheduled task' -Tag 'Integration' {
    BeforeAll {
        $script:job = Join-Path $script:dir 'job'
        $script:config = New-PipelineFile $script:job
    }

    It 'builds the atlas, then reuses every stage in seconds; a data change reruns the affected stages and the map stays put' {
        $first = Invoke-Nightly $script:config
        $first.ExitCode | Should -Be 0 -Because $first.Err
        $first.Out | Should -Match '(?m)^tiny: run \S+ succeeded in [\d.]+ s: 7 stages, 7 ran, 0 reused; 400 entities; serving \S+$'
        Test-Path (Join-Path $script:job 'site/latest/atlas/index.html') | Should -BeTrue
        Test-Path (Join-Path $script:job 'site/latest/previews/projection-1.png') | Should -BeTrue

        $second = Invoke-Nightly $script:config
        $second.ExitCode | Should -Be 0 -Because $second.Err
        $second.Out | Should -Match '7 stages, 0 ran, 7 reused'
        $log = Get-Content (Join-Path $script:job 'site/latest/run.json') -Raw | ConvertFrom-Json
        $log.Status | Should -Be 'succeeded'
        $log.Seconds | Should -BeLessThan 5
        @($log.Stages | Where-Object Status -ne 'reused').Count | Should -Be 0
        $log.Displacement.Median | Should -Be 0

        # New data tonight: 5% of the collections are gone. Everything downstream of the input reruns; metadata-only stages do not exist here.
        $changed = Join-Path $script:dir 'changed.csv'
        [EmbedPS.Core.Collections.CollectionCsvWriter]::Write($script:set, $changed)
        $rows = [IO.File]::ReadAllLines($changed)
        $header, $data = $rows
        [IO.File]::WriteAllLines($changed, @($header) + @($data | Where-Object { [long]($_.Split(',')[0]) % 20 -ne 3 }))
        Copy-Item $script:plays (Join-Path $script:dir 'plays-original.parquet')
        $null = Import-EntityCollection $changed -CollectionProperty collection -EntityProperty entity -OutFile $script:plays
        try {
            $third = Invoke-Nightly $script:config
        } finally {
            Copy-Item (Join-Path $script:dir 'plays-original.parquet') $script:plays -Force
        }
        $third.ExitCode | Should -Be 0 -Because $third.Err
        $third.Out | Should -Match '7 ran, 0 reused; 400 entities; moved [\d.]+ ?% median'
        $log = Get-Content (Join-Path $script:job 'site/latest/run.json') -Raw | ConvertFrom-Json
        $log.Displacement.Shared | Should -Be 400
        $log.Displacement.MedianRelative | Should -BeLessThan 0.05
        $log.Displacement.Median | Should -BeGreaterThan 0
        $log.Quality.trustworthiness | Should -BeGreaterThan 0.8
        $log.Quality.label_accuracy | Should -BeGreaterThan 0.7
        ($log.Stages | Where-Object Name -eq 'mde').AlignedTo | Should -Be $log.PreviousRun
    }

    It 'changing only the atlas settings reruns only the atlas' {
        $extra = New-PipelineFile (Join-Path $script:dir 'job-title') ''
        (Invoke-Nightly $extra).ExitCode | Should -Be 0
        (Get-Content $extra -Raw).Replace("Title = 'Tiny'", "Title = 'Renamed'") | Set-Content $extra
        $run = Invoke-Nightly $extra
        $run.ExitCode | Should -Be 0 -Because $run.Err
        $run.Out | Should -Match '7 stages, 1 ran, 6 reused'
        (Get-Content (Join-Path $script:dir 'job-title/site/latest/run.json') -Raw | ConvertFrom-Json).Stages |
            Where-Object Status -eq 'ran' | ForEach-Object Name | Should -Be 'atlas'
        Get-Content (Join-Path $script:dir 'job-title/site/latest/atlas/index.html') -Raw | Should -Match 'Renamed'
    }
}

Describe 'A run that fails never loses the last good atlas' -Tag 'Integration' {
    BeforeAll {
        $script:faults = Join-Path $script:dir 'faults'
        $script:faultConfig = New-PipelineFile $script:faults
        (Invoke-Nightly $script:faultConfig).ExitCode | Should -Be 0
    }

    It 'a stage that fails: exit code 1, the stage and the reason on stderr, the previous atlas still served' {
        $before = Get-Served $script:faults
        Set-Content $script:faultConfig ((Get-Content $script:faultConfig -Raw).Replace('Neighbors   = @{ Seed = 1 }', 'Neighbors   = @{ Seed = 2 }'))
        $run = Invoke-Nightly $script:faultConfig @{ EMBEDPS_PIPELINE_FAULT = 'fail:neighbors' }
        $run.ExitCode | Should -Be 1
        $run.Err | Should -Match "failed at stage 'neighbors'.*Injected failure in stage 'neighbors'"
        $run.Err | Should -Match 'The previous atlas \(run \S+\) is still served'
        $after = Get-Served $script:faults
        $after.Target | Should -Be $before.Target
        $after.Index | Should -Be $before.Index
        $failed = Get-ChildItem (Join-Path $script:faults 'site/runs') | Sort-Object Name | Select-Object -Last 1
        $log = Get-Content (Join-Path $failed.FullName 'run.json') -Raw | ConvertFrom-Json
        $log.Status | Should -Be 'failed'
        $log.FailedStage | Should -Be 'neighbors'
    }

    It 'a run killed mid-stage (SIGKILL): no partial artifact is used, the served atlas is unchanged, the next run recovers' {
        $before = Get-Served $script:faults
        Set-Content $script:faultConfig ((Get-Content $script:faultConfig -Raw).Replace('MaxIterations = 60', 'MaxIterations = 61'))
        $started = Start-Nightly $script:faultConfig @{ EMBEDPS_PIPELINE_FAULT = 'hang:mde' }
        # Wait until the MDE artifact is half-written, then kill the process as an OOM killer or a reboot would.
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Get-ChildItem (Join-Path $script:faults 'site/cache') -Force -Filter '.mde-*.tmp' -ErrorAction SilentlyContinue) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $partial = @(Get-ChildItem (Join-Path $script:faults 'site/cache') -Force -Filter '.mde-*.tmp')
        $partial.Count | Should -Be 1 -Because 'the run is inside the MDE stage'
        $started.Process.Kill()
        $started.Process.WaitForExit()
        # Nothing under the real name: the partial write never became the killed run's MDE artifact, and nothing served changed.
        $killed = Get-ChildItem (Join-Path $script:faults 'site/runs') | Sort-Object Name | Select-Object -Last 1
        $killedLog = Get-Content (Join-Path $killed.FullName 'run.json') -Raw | ConvertFrom-Json
        $killedLog.Status | Should -Be 'running'
        $mdeKey = ($killedLog.Stages | Where-Object Name -eq 'mde').Key
        Test-Path (Join-Path $script:faults "site/cache/mde-$mdeKey.parquet") | Should -BeFalse
        $after = Get-Served $script:faults
        $after.Target | Should -Be $before.Target
        $after.Index | Should -Be $before.Index

        $next = Invoke-Nightly $script:faultConfig
        $next.ExitCode | Should -Be 0 -Because $next.Err
        $log = Get-Content (Join-Path $script:faults 'site/latest/run.json') -Raw | ConvertFrom-Json
        $log.Warnings -join "`n" | Should -Match 'stale lock'
        $log.Warnings -join "`n" | Should -Match 'marked abandoned'
        ($log.Stages | Where-Object Name -eq 'mde').Status | Should -Be 'ran'
        Get-Leftover $script:faults | Should -BeNullOrEmpty
        (Get-Served $script:faults).Target | Should -Not -Be $before.Target
    }

    It 'a write that fails halfway (disk full): nothing is left behind and the served atlas is unchanged' {
        $before = Get-Served $script:faults
        Set-Content $script:faultConfig ((Get-Content $script:faultConfig -Raw).Replace('Epochs = 150', 'Epochs = 151'))
        $run = Invoke-Nightly $script:faultConfig @{ EMBEDPS_PIPELINE_FAULT = 'diskfull:projection-1' }
        $run.ExitCode | Should -Be 1
        $run.Err | Should -Match "failed at stage 'projection-1'.*No space left on device"
        Get-Leftover $script:faults | Should -BeNullOrEmpty
        $failedKey = ((Get-ChildItem (Join-Path $script:faults 'site/runs') | Sort-Object Name | Select-Object -Last 1 | ForEach-Object { Get-Content (Join-Path $_.FullName 'run.json') -Raw | ConvertFrom-Json }).Stages |
            Where-Object Name -eq 'projection-1').Key
        Test-Path (Join-Path $script:faults "site/cache/projection-1-$failedKey.parquet") | Should -BeFalse
        $after = Get-Served $script:faults
        $after.Target | Should -Be $before.Target
        $after.Index | Should -Be $before.Index
    }

    It 'two runs started at once: one runs, one refuses' {
        $env = @{ EMBEDPS_PIPELINE_FAULT = 'slow:import' }
        $a = Start-Nightly $script:faultConfig $env
        $b = Start-Nightly $script:faultConfig $env
        $results = @(Wait-Nightly $a; Wait-Nightly $b)
        @($results | Where-Object ExitCode -eq 0).Count | Should -Be 1
        $refused = $results | Where-Object ExitCode -ne 0
        $refused.ExitCode | Should -Be 1
        $refused.Err | Should -Match "The pipeline 'tiny' is already running: process \d+ .*holds the lock"
        ($results | Where-Object ExitCode -eq 0).Out | Should -Match 'succeeded'
    }
}

Describe 'Invoke-EmbeddingPipeline' -Tag 'Integration' {
    It 'validates the data file before any work: an unknown key and a missing file are named' {
        $folder = Join-Path $script:dir 'bad'
        $config = New-PipelineFile $folder "    Mde2 = @{ }`n    Preview = @{ Width = 'wide' }"
        (Get-Content $config -Raw).Replace($script:plays, './nothing.parquet') | Set-Content $config
        $err = { Invoke-EmbeddingPipeline $config } | Should -Throw -ErrorId 'PipelineConfigInvalid*' -PassThru
        $err.Exception.Message | Should -Match 'Mde2: unknown key'
        $err.Exception.Message | Should -Match "Preview.Width: must be an integer, not 'wide'"
        $err.Exception.Message | Should -Match "Input.Path: cannot find the input './nothing.parquet'"
        Test-Path (Join-Path $folder 'site') | Should -BeFalse
        Set-Content $config '@{ OutputPath = (Get-Date) }'
        { Invoke-EmbeddingPipeline $config } | Should -Throw -ErrorId 'PipelineConfigParse*'
    }

    It '-WhatIf prints the plan (what runs, what is reused) and writes nothing' {
        $folder = Join-Path $script:dir 'whatif'
        $config = New-PipelineFile $folder
        $exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
        $command = "Import-Module '$(Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1')'; Invoke-EmbeddingPipeline '$config' -WhatIf"
        $text = if (Test-Path $exe) { & $exe -NoProfile -NonInteractive -Command $command } else { & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $command }
        $text = $text -join "`n"
        $text | Should -Match "What if: Performing the operation `"Run \(not cached\)`" on target `"stage 'import'"
        $text | Should -Match "stage 'atlas'"
        Test-Path (Join-Path $folder 'site') | Should -BeFalse
        $run = Invoke-EmbeddingPipeline $config
        $run.Status | Should -Be 'succeeded'
        $run.PSObject.TypeNames[0] | Should -Be 'EmbedPS.Core.Pipeline.PipelineRun'
        $runs = @(Get-ChildItem (Join-Path $folder 'site/runs'))
        Invoke-EmbeddingPipeline $config -WhatIf
        @(Get-ChildItem (Join-Path $folder 'site/runs')).Count | Should -Be $runs.Count
        # -Force reruns every stage; with AlignTo the map starts from the served one, so it barely moves.
        $forced = Invoke-EmbeddingPipeline $config -Force
        $forced.RanCount | Should -Be 7
        $forced.Displacement.MedianRelative | Should -BeLessThan 0.05
    }
}
