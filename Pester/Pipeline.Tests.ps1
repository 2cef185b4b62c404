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

Describe 'Nothing is lost: signals, a shared output folder, a read-only folder, a person''s files' -Tag 'Integration' {
    BeforeAll {
        $script:safe = Join-Path $script:dir 'safe'
        $script:safeConfig = New-PipelineFile $script:safe
        (Invoke-Nightly $script:safeConfig).ExitCode | Should -Be 0
        # Starts nightly.ps1 and waits until its run is under way (its run log says 'running'), then sends a signal.
        function Stop-NightlyWith([string] $Signal) {
            $runs = Join-Path $script:safe 'site/runs'
            $known = @(Get-ChildItem $runs -Directory | ForEach-Object Name)
            $started = Start-Nightly $script:safeConfig @{ EMBEDPS_PIPELINE_FAULT = 'slow:import' }
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            do {
                Start-Sleep -Milliseconds 100
                $new = Get-ChildItem $runs -Directory | Where-Object { $_.Name -notin $known -and (Test-Path (Join-Path $_.FullName 'run.json')) }
            } until ($new -or [DateTime]::UtcNow -gt $deadline -or $started.Process.HasExited)
            $new | Should -Not -BeNullOrEmpty -Because 'the run started'
            & kill "-$Signal" $started.Process.Id
            $result = Wait-Nightly $started
            $result | Add-Member -NotePropertyName Log -NotePropertyValue (Get-Content (Join-Path $new.FullName 'run.json') -Raw | ConvertFrom-Json) -PassThru
        }
    }

    It 'SIGTERM and SIGINT cancel the run: exit 143 or 130, one line on stderr, nothing on stdout, the served atlas unchanged' {
        if (-not $IsLinux) { Set-ItResult -Inconclusive -Because 'POSIX signals'; return }
        $before = Get-Served $script:safe
        $cases = @(@{ Signal = 'TERM'; Code = 143 }, @{ Signal = 'INT'; Code = 130 })
        # A suite started as a background job of a non-interactive shell (`cmd &`) inherits SIGINT as ignored, and so does every
        # process it starts (POSIX): the run cannot see a SIGINT there, as it must not, so only SIGTERM is checked.
        $ignored = [Convert]::ToUInt64(((Get-Content /proc/self/status) -match '^SigIgn:' -replace '^SigIgn:\s*', ''), 16)
        if ($ignored -band 2) { Write-Warning 'SIGINT is ignored by this test process (started in the background): only SIGTERM is checked.'; $cases = $cases[0..0] }
        foreach ($case in $cases) {
            $run = Stop-NightlyWith $case.Signal
            $run.ExitCode | Should -Be $case.Code -Because "SIG$($case.Signal): $($run.Err)"
            $run.Out | Should -BeNullOrEmpty
            @($run.Err -split "`n").Count | Should -Be 1
            $run.Err | Should -Match '^nightly: .*(cancelled|interrupted)'
            $run.Log.Status | Should -Be 'cancelled'
            $after = Get-Served $script:safe
            $after.Target | Should -Be $before.Target
            $after.Index | Should -Be $before.Index
            Get-Leftover $script:safe | Should -BeNullOrEmpty
        }
        # After the cancelled runs the next one succeeds with one line and nothing else.
        $next = Invoke-Nightly $script:safeConfig
        $next.ExitCode | Should -Be 0
        @($next.Out -split "`n").Count | Should -Be 1
        $next.Err | Should -BeNullOrEmpty
    }

    It 'prints only the summary line: warnings (here a stale lock taken over) go to run.json' {
        $folder = Join-Path $script:dir 'quiet'
        $config = New-PipelineFile $folder
        New-Item -ItemType Directory (Join-Path $folder 'site') | Out-Null
        '{"ProcessId":999999,"Host":"gone","RunId":"dead","Started":"2026-01-01T00:00:00+00:00"}' | Set-Content (Join-Path $folder 'site/pipeline.lock.json')
        $run = Invoke-Nightly $config
        $run.ExitCode | Should -Be 0 -Because $run.Err
        $run.Out | Should -Match '^tiny: run \S+ succeeded'
        @($run.Out -split "`n").Count | Should -Be 1
        $run.Err | Should -BeNullOrEmpty
        $log = Get-Content (Join-Path $folder 'site/latest/run.json') -Raw | ConvertFrom-Json
        $log.Warnings -join "`n" | Should -Match 'stale lock'
    }

    It 'a second pipeline pointed at the same output folder is refused naming the first; nothing of the first is lost' {
        $other = Join-Path $script:dir 'other'
        $otherConfig = New-PipelineFile $other
        (Get-Content $otherConfig -Raw).Replace("Name        = 'tiny'", "Name        = 'rival'").Replace("OutputPath  = './site'", "OutputPath  = '$(Join-Path $script:safe 'site')'").Replace('KeepRuns    = 3', 'KeepRuns    = 1') |
            Set-Content $otherConfig
        $before = @(Get-ChildItem (Join-Path $script:safe 'site') -Recurse -Force | ForEach-Object FullName | Sort-Object)
        $served = Get-Served $script:safe
        $run = Invoke-Nightly $otherConfig
        $run.ExitCode | Should -Be 1
        $run.Err | Should -Match "belongs to the pipeline 'tiny'.*the pipeline 'rival'.*was refused and changed nothing"
        @(Get-ChildItem (Join-Path $script:safe 'site') -Recurse -Force | ForEach-Object FullName | Sort-Object) | Should -Be $before
        (Get-Served $script:safe).Target | Should -Be $served.Target
    }

    It 'a person''s files in runs/ and cache/ survive pruning; only the pipeline''s own old runs go' {
        $site = Join-Path $script:safe 'site'
        $mine = @(
            (Join-Path $site 'runs/00000000-000000-000/notes.txt'),
            (Join-Path $site 'runs/archive/keep.txt'),
            (Join-Path $site 'cache/notes.txt'),
            (Join-Path $site 'cache/projection-1-0000000000000000aaaa.parquet'))
        foreach ($file in $mine) { New-Item -ItemType File $file -Force -Value 'mine' | Out-Null }
        $config = Get-Content $script:safeConfig -Raw
        foreach ($title in 'One', 'Two', 'Three', 'Four') {
            $config = $config -replace "Title = '[^']*'", "Title = '$title'"
            Set-Content $script:safeConfig $config
            (Invoke-Nightly $script:safeConfig).ExitCode | Should -Be 0
        }
        foreach ($file in $mine) { Get-Content $file | Should -Be 'mine' }
        $own = Get-ChildItem (Join-Path $site 'runs') -Directory | Where-Object { Test-Path (Join-Path $_.FullName 'run.json') }
        $own.Count | Should -Be 3 -Because 'KeepRuns = 3 applies to the pipeline''s own runs only'
    }

    It 'a read-only output folder is reported as read-only with its path, not as a run already in progress' {
        if (-not $IsLinux) { Set-ItResult -Inconclusive -Because 'needs a read-only mount or a non-root user'; return }
        $ro = Join-Path $script:dir 'readonly'
        New-Item -ItemType Directory $ro | Out-Null
        $root = (id -u) -eq '0'
        if ($root) { & mount -t tmpfs -o ro,size=64k tmpfs $ro 2>$null; $mounted = $LASTEXITCODE -eq 0 } else { chmod 555 $ro; $mounted = $false }
        if ($root -and -not $mounted) { Set-ItResult -Inconclusive -Because 'root without mount: a folder cannot be made read-only'; return }
        try {
            $config = New-PipelineFile (Join-Path $script:dir 'rojob')
            (Get-Content $config -Raw).Replace("OutputPath  = './site'", "OutputPath  = '$ro'") | Set-Content $config
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $run = Invoke-Nightly $config
            $run.ExitCode | Should -Be 1
            $run.Err | Should -Match ([regex]::Escape($ro))
            $run.Err | Should -Match ($root ? 'read-only' : 'permission denied')
            $run.Err | Should -Not -Match 'already running'
        }
        finally { if ($mounted) { & umount $ro } }
    }
}

Describe 'Gates: a run that looks wrong is written but never served' -Tag 'Integration' {
    BeforeAll {
        $script:gated = Join-Path $script:dir 'gated'
        $script:gatedPlays = Join-Path $script:gated 'plays.parquet'
        New-Item -ItemType Directory $script:gated | Out-Null
        Copy-Item $script:plays $script:gatedPlays
        $script:gatedMeta = Join-Path $script:gated 'maps.csv'
        Copy-Item (Join-Path $script:data 'maps.csv') $script:gatedMeta
        function Set-GatedConfig([string] $Gates = '', [int] $Seed = 1) {
            $config = New-PipelineFile $script:gated "    Gates = @{ $Gates }"
            (Get-Content $config -Raw).Replace($script:plays, $script:gatedPlays).Replace((Join-Path $script:data 'maps.csv'), $script:gatedMeta).Replace('Mde         = @{ MaxIterations = 60; Seed = 1 }', "Mde         = @{ MaxIterations = 60; Seed = $Seed }") |
                Set-Content $config
            $config
        }
        $first = Invoke-Nightly (Set-GatedConfig)
        $first.ExitCode | Should -Be 0 -Because $first.Err
        $script:goodServed = Get-Served $script:gated
    }

    It 'a passing run: exit 0, every gate recorded as passed in run.json' {
        $run = Invoke-Nightly (Set-GatedConfig 'MinEntities = 100; MinRecall = 0.05')
        $run.ExitCode | Should -Be 0 -Because $run.Err
        $log = Get-Content (Join-Path $script:gated 'site/latest/run.json') -Raw | ConvertFrom-Json
        @($log.Gates | Where-Object Name -eq 'MinEntities').Passed | Should -BeTrue
        @($log.Gates | Where-Object { -not $_.Passed }).Count | Should -Be 0
        $script:goodServed = Get-Served $script:gated
    }

    It 'a truncated input (half the collections): exit 2, one line naming the gate, the good atlas still served' {
        $null = New-SyntheticCollection -Size Tiny -Seed 42 -CollectionCount 750 -OutFile $script:gatedPlays -Force
        try {
            $run = Invoke-Nightly (Set-GatedConfig 'MaxRowDrop = 0.3')
            $run.ExitCode | Should -Be 2 -Because $run.Err
            $run.Out | Should -BeNullOrEmpty
            @($run.Err -split "`n").Count | Should -Be 1
            $run.Err | Should -Match 'rejected by its gates: MaxRowDrop ≤ 0\.3: 0\.\d+ FAILED'
            (Get-Served $script:gated).Target | Should -Be $script:goodServed.Target
            $rejected = Get-ChildItem (Join-Path $script:gated 'site/runs') | Sort-Object Name | Select-Object -Last 1
            (Get-Content (Join-Path $rejected.FullName 'run.json') -Raw | ConvertFrom-Json).Status | Should -Be 'rejected'
            # The default gates alone (no Gates section) stop an input that lost more than half its rows.
            $null = New-SyntheticCollection -Size Tiny -Seed 42 -CollectionCount 500 -OutFile $script:gatedPlays -Force
            $default = Invoke-Nightly (Set-GatedConfig)
            $default.ExitCode | Should -Be 2 -Because $default.Err
            $default.Err | Should -Match 'MaxRowDrop ≤ 0\.5'
            (Get-Served $script:gated).Target | Should -Be $script:goodServed.Target
        }
        finally { Copy-Item $script:plays $script:gatedPlays -Force }
    }

    It 'a scattered map (another seed, a tight displacement gate) and metadata with foreign ids are rejected too' {
        $scattered = Invoke-Nightly (Set-GatedConfig 'MaxMedianDisplacement = 0.001' -Seed 9)
        $scattered.ExitCode | Should -Be 2 -Because $scattered.Err
        $scattered.Err | Should -Match 'MaxMedianDisplacement'
        $lines = Get-Content $script:gatedMeta
        try {
            $i = 0
            @($lines[0]) + @($lines[1..($lines.Count - 1)] | ForEach-Object { if ($i++ % 5) { "x$_" } else { $_ } }) | Set-Content $script:gatedMeta
            $foreign = Invoke-Nightly (Set-GatedConfig 'MinMetadataShare = 0.9')
            $foreign.ExitCode | Should -Be 2 -Because $foreign.Err
            $foreign.Err | Should -Match 'MinMetadataShare ≥ 0\.9: 0\.2'
        }
        finally { $lines | Set-Content $script:gatedMeta }
        (Get-Served $script:gated).Target | Should -Be $script:goodServed.Target
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
