# Tests to keep beside your pipeline.psd1 (Pester 5 or later): run them after changing the config, in CI, or before the
# nightly job: Invoke-Pester ./pipeline.Tests.ps1. They run the pipeline as the nightly job would and check what it serves.
# Change $floor to the quality your users accept, and the sample-data block to nothing once Input.Path is your own export.
BeforeAll {
    # The module: the built one in this repository when there is one, else the installed one.
    $module = if ($env:EMBEDPS_MODULE_PATH) { Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1' } else { Join-Path $PSScriptRoot '../EmbedPS/EmbedPS.psd1' }
    if (Test-Path $module) { Import-Module $module -Force } else { Import-Module EmbedPS }

    $script:config = Join-Path $PSScriptRoot 'pipeline.psd1'
    $settings = Import-PowerShellDataFile $script:config
    $script:output = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot $settings.OutputPath))

    # The sample's input, made the first time as nightly.ps1 does (delete this block for your own data).
    $data = Join-Path $PSScriptRoot 'data'
    if (-not (Test-Path (Join-Path $data 'plays.parquet'))) {
        $null = New-Item -ItemType Directory $data -Force
        $null = New-SyntheticCollection -Size Small -Seed 42 -MetadataPath (Join-Path $data 'maps.csv') -OutFile (Join-Path $data 'plays.parquet') -WarningAction SilentlyContinue
    }

    # The least quality the served map may have (the run log's names; see docs/pipeline.md).
    $script:floor = @{ 'recall@10' = 0.2; trustworthiness = 0.85; label_accuracy = 0.6 }
}

Describe 'pipeline.psd1' -Tag 'Integration' {
    It 'is a valid pipeline data file (-WhatIf plans it and writes nothing)' {
        { Invoke-EmbeddingPipeline $script:config -WhatIf -WarningAction SilentlyContinue } | Should -Not -Throw
    }

    Context 'a run' {
        BeforeAll { $script:run = Invoke-EmbeddingPipeline $script:config -WarningAction SilentlyContinue }

        It 'succeeds and passes every gate' {
            $script:run.Status | Should -Be 'succeeded'
            $script:run.Gates | Where-Object { -not $_.Passed } | Should -BeNullOrEmpty
            $script:run.Counts['entities'] | Should -BeGreaterThan 1000
        }

        It 'serves a complete atlas: every artifact valid, the site''s files present' {
            $served = Join-Path $script:output 'latest'
            (Get-Item $served).LinkTarget | Should -Match ([regex]::Escape($script:run.RunId))
            $artifacts = @(Get-ChildItem $served -Filter *.parquet)
            $artifacts.Count | Should -BeGreaterOrEqual 2
            foreach ($artifact in $artifacts) { Test-EmbedArtifact $artifact.FullName | Should -BeTrue -Because $artifact.Name }
            foreach ($file in 'atlas/index.html', 'run.json') { Join-Path $served $file | Should -Exist }
            @(Get-ChildItem (Join-Path $served 'atlas') -Recurse -File).Count | Should -BeGreaterThan 3
        }

        It 'has quality above our floor' {
            foreach ($measure in $script:floor.Keys) {
                $script:run.Quality[$measure] | Should -BeGreaterOrEqual $script:floor[$measure] -Because $measure
            }
        }
    }
}
