# Parameter sweeps as a user runs them: arrays on the stage cmdlets, one object and one file per combination, a quality
# table, a contact sheet and an atlas whose layouts are named by their settings.
BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-sweep-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null
    $script:maps = Join-Path $script:dir 'maps.csv'
    $set = New-SyntheticCollection -Size Tiny -Seed 42 -MetadataPath $script:maps
    $script:graph = $set | New-CooccurrenceMatrix | Invoke-NeighborPreservation -Seed 1 -WarningAction SilentlyContinue
    $script:embedding = $script:graph | Invoke-Mde -Seed 1 -MaxIterations 60
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'A parameter sweep' -Tag 'Integration' {
    BeforeAll {
        $script:out = Join-Path $script:dir 'map.parquet'
        $script:sweep = $script:embedding | ConvertTo-Projection -Neighbors 10, 20 -MinDistance 0.05, 0.5 -Epochs 60 -Seed 3 -OutFile $script:out
    }

    It 'emits one projection per combination, each with its settings, written to a file named by them' {
        $script:sweep.Count | Should -Be 4
        $script:sweep | ForEach-Object { $_ | Should -BeOfType ([EmbedPS.Core.Projection.Projection]) }
        ($script:sweep | ForEach-Object { "$($_.Settings['Neighbors'])/$($_.Settings['MinDistance'])" }) -join ' ' | Should -Be '10/0.05 10/0.5 20/0.05 20/0.5'
        (Get-ChildItem (Join-Path $script:dir 'map.*.parquet')).Name | Sort-Object | Should -Be @('map.k10.md0.05.parquet', 'map.k10.md0.5.parquet', 'map.k20.md0.05.parquet', 'map.k20.md0.5.parquet')
        (Import-EmbedArtifact (Join-Path $script:dir 'map.k20.md0.5.parquet')).Settings['MinDistance'] | Should -Be 0.5
        Test-Path $script:out | Should -BeFalse
    }

    It 'gives the same maps again under the same -Seed' {
        $again = $script:embedding | ConvertTo-Projection -Neighbors 20, 10 -MinDistance 0.5, 0.05 -Epochs 60 -Seed 3
        $first = $script:sweep | Where-Object { $_.Settings['Neighbors'] -eq 20 -and $_.Settings['MinDistance'] -eq 0.5 }
        $second = $again | Where-Object { $_.Settings['Neighbors'] -eq 20 -and $_.Settings['MinDistance'] -eq 0.5 }
        [Linq.Enumerable]::SequenceEqual($first.X, $second.X) | Should -BeTrue
    }

    It 'measures into one table: a row per map, its settings as columns, sortable and exportable' {
        $table = $script:sweep | Measure-Embedding -Metadata $script:maps -LabelProperty group
        $table.Count | Should -Be 4
        $best = $table | Sort-Object Trustworthiness -Descending | Select-Object -First 1
        $best.Trustworthiness | Should -Be ($table.Trustworthiness | Measure-Object -Maximum).Maximum
        $csv = Join-Path $script:dir 'quality.csv'
        $table | Export-Csv $csv
        $rows = Import-Csv $csv
        $rows.Count | Should -Be 4
        $rows[0].PSObject.Properties.Name | Should -Contain 'MinDistance'
        $rows[0].PSObject.Properties.Name | Should -Contain 'LabelAccuracy'
        ($table | Format-Table | Out-String) | Should -Match 'UMAP · k 10 · min_dist 0\.05 +0\.\d{4} +0\.\d{4}'
    }

    It 'draws a contact sheet of every map, 1920 pixels wide' {
        $png = $script:sweep | Export-EmbeddingPreview -ContactSheet -Path (Join-Path $script:dir 'sweep.png') -Metadata $script:maps -ColorProperty group -PassThru
        $png.Length | Should -BeGreaterThan 10000
        $bytes = [IO.File]::ReadAllBytes($png.FullName)
        [BitConverter]::ToUInt32([byte[]]($bytes[19], $bytes[18], $bytes[17], $bytes[16]), 0) | Should -Be 1920
    }

    It 'writes one atlas whose layouts are named by their settings and scored' {
        $atlas = $script:sweep | Export-EmbeddingAtlas -Path (Join-Path $script:dir 'atlas') -Embedding $script:embedding -Metadata $script:maps -PassThru
        $atlas.Layouts | Should -Be @('UMAP · k 10 · min_dist 0.05', 'UMAP · k 10 · min_dist 0.5', 'UMAP · k 20 · min_dist 0.05', 'UMAP · k 20 · min_dist 0.5')
        Get-Content (Join-Path $script:dir 'atlas/data/meta.js') -Raw | Should -Match '"scores":\{"recall@10":[0-9.]+,"trust":[0-9.]+,"cont":[0-9.]+,"acc":[0-9.]+\}'
    }

    It 'sweeps t-SNE perplexity and names its files by it' {
        $tsne = $script:embedding | ConvertTo-Projection -Method Tsne -Perplexity 10, 20 -Iterations 100 -OutFile (Join-Path $script:dir 'tsne.parquet')
        $tsne.Count | Should -Be 2
        ($tsne | ForEach-Object { $_.Settings['Perplexity'] }) | Should -Be @(10, 20)
        (Get-ChildItem (Join-Path $script:dir 'tsne.*.parquet')).Name | Sort-Object | Should -Be @('tsne.perp10.parquet', 'tsne.perp20.parquet')
    }

    It 'measures each embedding of an MDE sweep against its own graph' {
        $rows = $script:graph | Invoke-Mde -Dimension 2, 3 -MaxIterations 30 | Measure-Embedding
        $rows.Count | Should -Be 2
        $rows | ForEach-Object { $_.Reference | Should -BeLike 'NeighborGraph*'; $_.AverageDistortion | Should -BeGreaterThan 0 }
        ($rows | ForEach-Object Dimension) | Should -Be @(2, 3)
    }

    It 'multiplies downstream: 2 dimensions × 2 min_dist values' {
        $maps = $script:graph | Invoke-Mde -Dimension 2, 3 -MaxIterations 30 | ConvertTo-Projection -MinDistance 0.05, 0.5 -Epochs 30
        $maps.Count | Should -Be 4
        ($maps | ForEach-Object { "$($_.Settings['Dimension'])/$($_.Settings['MinDistance'])" }) -join ' ' | Should -Be '2/0.05 2/0.5 3/0.05 3/0.5'
        $maps[3].Provenance.Swept | Should -Be @('Dimension', 'MinDistance')
    }
}
