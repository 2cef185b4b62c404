# demo/Invoke-ScaleRun.ps1, the recipe of docs/scale.md, at a small size: it runs every stage in a new pwsh, as
# ScaleBench starts it, and writes one JSON row per stage with a time, a CPU time and a peak resident set.
Describe 'Invoke-ScaleRun.ps1 (the million-entity recipe, small)' -Tag 'Slow' {
    BeforeAll {
        $script:repoRoot = Split-Path $PSScriptRoot -Parent
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-scale-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $script:result = Join-Path $script:dir 'run.json'
        $exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
        $arguments = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $script:repoRoot 'demo/Invoke-ScaleRun.ps1'),
            '-ModulePath', $env:EMBEDPS_MODULE_PATH, '-OutputPath', $script:dir, '-EntityCount', '2000',
            '-MaxPartners', '20', '-MdeIterations', '40', '-ResultPath', $script:result)
        $script:output = if (Test-Path $exe) { & $exe @arguments 2>&1 } else { & dotnet (Join-Path $PSHOME 'pwsh.dll') @arguments 2>&1 }
        $script:exitCode = $LASTEXITCODE
    }
    AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction Ignore }

    It 'exits 0 and writes every stage with its cost' {
        $script:exitCode | Should -Be 0 -Because ($script:output | Out-String)
        $run = Get-Content $script:result -Raw | ConvertFrom-Json
        $run.entityCount | Should -Be 2000
        $run.collectionCount | Should -Be 12000
        @($run.stages.stage) | Should -Be @('collections', 'cooccurrence', 'neighbors', 'mde', 'umap', 'atlas')
        foreach ($stage in $run.stages) {
            $stage.seconds | Should -BeGreaterThan 0
            $stage.peakRssGB | Should -BeGreaterThan 0
            # The peak is reset before each stage, so it is never below where the stage started.
            $stage.peakRssGB | Should -BeGreaterOrEqual ($stage.startRssGB - 0.001)
        }
        $run.peakRssGB | Should -Be (($run.stages.peakRssGB | Measure-Object -Maximum).Maximum)
    }

    It 'kept at most -MaxPartners partners per entity, union of both sides' {
        $cooc = (Get-Content $script:result -Raw | ConvertFrom-Json).stages | Where-Object stage -EQ 'cooccurrence'
        # "N pairs kept (top 20) of M": at most n·K pairs kept, fewer than the exact count.
        $cooc.detail -match '^([\d,]+) pairs kept \(top 20\) of ([\d,]+)$' | Should -BeTrue -Because $cooc.detail
        $kept = [long]($Matches[1] -replace ',', ''); $exact = [long]($Matches[2] -replace ',', '')
        $kept | Should -BeLessOrEqual (2000 * 20)
        $kept | Should -BeLessThan $exact
    }

    It 'wrote the atlas' {
        Join-Path $script:dir 'atlas/index.html' | Should -Exist
    }
}
