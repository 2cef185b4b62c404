BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-proj-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null

    # Four 3-D Gaussian blobs (300 points each), built in-process, with a metadata CSV of their labels.
    $rng = [EmbedPS.Core.Common.DeterministicRandom]::new(7, 0)
    $n = 1200
    $coords = [float[]]::new($n * 3)
    $ids = [long[]]::new($n)
    $centres = @(@(0, 0, 0), @(12, 0, 0), @(0, 12, 0), @(0, 0, 12))
    $lines = [Collections.Generic.List[string]]::new()
    $lines.Add('entity,group')
    for ($i = 0; $i -lt $n; $i++) {
        $g = $i % 4
        $ids[$i] = 1000 + $i
        for ($c = 0; $c -lt 3; $c++) { $coords[3 * $i + $c] = [float]($centres[$g][$c] + $rng.NextGaussian()) }
        $lines.Add("$($ids[$i]),g$g")
    }
    $script:metadata = Join-Path $script:dir 'labels.csv'
    [IO.File]::WriteAllLines($script:metadata, $lines)
    $script:embedding = [EmbedPS.Core.Mde.Embedding]::new([EmbedPS.Core.Common.EntityIds]::FromIntegers($ids), [int[]]::new($n), 3, $coords, $null)
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'ConvertTo-Projection' -Tag 'Unit' {
    It 'projects with UMAP, separates the blobs and round-trips through -OutFile' {
        $path = Join-Path $script:dir 'umap.parquet'
        $p = $script:embedding | ConvertTo-Projection -Method Umap -Seed 3 -Epochs 150 -OutFile $path
        $p | Should -BeOfType ([EmbedPS.Core.Projection.Projection])
        $p.EntityCount | Should -Be 1200
        $p.Quality['recall@10'] | Should -BeGreaterThan 0.2
        $back = Import-EmbedArtifact $path
        $back.Method | Should -Be 'Umap'
        [Linq.Enumerable]::SequenceEqual($back.X, $p.X) | Should -BeTrue
        [Linq.Enumerable]::SequenceEqual($back.Y, $p.Y) | Should -BeTrue
        [Linq.Enumerable]::SequenceEqual([long[]]$back.Entities.Integers, [long[]]$p.Entities.Integers) | Should -BeTrue
        $back.Provenance.Parameters['Neighbors'] | Should -Be 15
        $q = $p | Measure-Embedding -Reference $script:embedding -LabelProperty group -Metadata $script:metadata
        $q.LabelAccuracy | Should -BeGreaterThan 0.95
    }
    It 'runs t-SNE and PCA from an artifact path' {
        $path = Join-Path $script:dir 'embedding.parquet'
        $script:embedding | Export-EmbedArtifact -Path $path
        $t = Get-Item $path | ConvertTo-Projection -Method Tsne -Iterations 250 -Seed 1
        $t.Method | Should -Be 'Tsne'
        $t.Quality['kl_divergence'] | Should -BeGreaterThan 0
        ($t | Measure-Embedding -LabelProperty group -Metadata $script:metadata).LabelAccuracy | Should -BeGreaterThan 0.95
        $pca = ConvertTo-Projection -InputPath $path -Method Pca
        $pca.Quality['explained_variance'] | Should -BeGreaterThan 0.5
    }
    It 'is deterministic under -Seed' {
        $a = $script:embedding | ConvertTo-Projection -Seed 5 -Epochs 40 -NoQuality
        $b = $script:embedding | ConvertTo-Projection -Seed 5 -Epochs 40 -NoQuality
        [Linq.Enumerable]::SequenceEqual($a.X, $b.X) | Should -BeTrue
    }
    It 'aligns onto a previous projection and reports the displacement' {
        $first = $script:embedding | ConvertTo-Projection -Method Pca
        $again = $script:embedding | ConvertTo-Projection -Method Umap -Epochs 60 -AlignTo $first -InitialProjection $first -Verbose 4>&1
        $verbose = $again | Where-Object { $_ -is [Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match 'median displacement'
        $result = $again | Where-Object { $_ -is [EmbedPS.Core.Projection.Projection] }
        $result.Quality['alignment_median_displacement'] | Should -BeGreaterOrEqual 0
    }
    It 'writes nothing with -WhatIf' {
        $path = Join-Path $script:dir 'whatif.parquet'
        $script:embedding | ConvertTo-Projection -Method Pca -OutFile $path -WhatIf | Out-Null
        Test-Path $path | Should -BeFalse
    }
    It 'has help with examples' {
        foreach ($name in 'ConvertTo-Projection', 'Measure-Embedding', 'Get-EntityNeighbor') {
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        }
    }
}

Describe 'Measure-Embedding' -Tag 'Unit' {
    It 'scores an identical reference as perfect' {
        $q = $script:embedding | Measure-Embedding -Reference $script:embedding -K 5
        $q.NeighborRecall | Should -Be 1
        $q.Trustworthiness | Should -Be 1
        $q.Continuity | Should -Be 1
    }
    It 'accepts a numeric CSV table as reference and as input, and names a bad value' {
        $csv = Join-Path $script:dir 'table.csv'
        $rows = [Collections.Generic.List[string]]::new()
        $rows.Add('entity,a,b,c')
        for ($i = 0; $i -lt 1200; $i++) { $rows.Add(('{0},{1},{2},{3}' -f $script:embedding.Entities[$i], $script:embedding.Coordinates[3 * $i], $script:embedding.Coordinates[3 * $i + 1], $script:embedding.Coordinates[3 * $i + 2])) }
        [IO.File]::WriteAllLines($csv, $rows)
        ($script:embedding | Measure-Embedding -Reference $csv -K 5).NeighborRecall | Should -Be 1
        (ConvertTo-Projection -InputPath $csv -Method Pca).EntityCount | Should -Be 1200
        $bad = Join-Path $script:dir 'bad.csv'
        [IO.File]::WriteAllLines($bad, @('entity,a', '1,0.5', '2,oops'))
        { $script:embedding | Measure-Embedding -Reference $bad -ErrorAction Stop } | Should -Throw "*row 3, column 'a'*"
    }
    It 'names the missing label column' {
        { $script:embedding | Measure-Embedding -LabelProperty nope -Metadata $script:metadata -ErrorAction Stop } | Should -Throw '*nope*'
    }
}

Describe 'Get-EntityNeighbor' -Tag 'Unit' {
    It 'lists the nearest entities with distances' {
        $rows = $script:embedding | Get-EntityNeighbor -Entity 1000 -Count 10
        $rows.Count | Should -Be 10
        $rows[0].Rank | Should -Be 1
        $rows[0].Entity | Should -Be 1000
        ($rows | ForEach-Object { [int](($_.Neighbor - 1000) % 4) } | Sort-Object -Unique) | Should -Be 0
        $rows[9].Distance | Should -BeGreaterOrEqual $rows[0].Distance
    }
    It 'reports an unknown entity as an error' {
        { $script:embedding | Get-EntityNeighbor -Entity 5 -ErrorAction Stop } | Should -Throw '*not in the input*'
    }
}
