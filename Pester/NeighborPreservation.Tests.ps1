BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-nb-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null

    # A co-occurrence matrix built in-process from (a, b, weight) triples (New-CooccurrenceMatrix lives on another branch).
    function New-TestMatrix([int] $Count, [object[]] $Pairs, [int[]] $Popularity) {
        $rows = @(for ($i = 0; $i -lt $Count; $i++) { [Collections.Generic.SortedDictionary[int, float]]::new() })
        foreach ($p in $Pairs) { $rows[$p[0]][$p[1]] = $p[2]; $rows[$p[1]][$p[0]] = $p[2] }
        $offsets = [long[]]::new($Count + 1); $columns = [Collections.Generic.List[int]]::new(); $weights = [Collections.Generic.List[float]]::new()
        for ($i = 0; $i -lt $Count; $i++) {
            foreach ($kv in $rows[$i].GetEnumerator()) { $columns.Add($kv.Key); $weights.Add($kv.Value) }
            $offsets[$i + 1] = $columns.Count
        }
        if (-not $Popularity) { $Popularity = [int[]]::new($Count); for ($i = 0; $i -lt $Count; $i++) { $Popularity[$i] = 10 } }
        $ids = [EmbedPS.Core.Common.EntityIds]::FromIntegers([long[]](1..$Count))
        [EmbedPS.Core.Cooccurrence.CooccurrenceMatrix]::new($ids, $Popularity, $offsets, $columns.ToArray(), $weights.ToArray(), $null)
    }

    # Co-occurrence counts of a collection set (pairs inside each collection), for the Tiny-sample pipeline.
    function ConvertTo-TestCooccurrence($Set) {
        $counts = @{}
        for ($c = 0; $c -lt $Set.CollectionCount; $c++) {
            $members = $Set.Members[$Set.CollectionOffsets[$c]..($Set.CollectionOffsets[$c + 1] - 1)]
            for ($x = 0; $x -lt $members.Count; $x++) {
                for ($y = $x + 1; $y -lt $members.Count; $y++) {
                    $a = [Math]::Min($members[$x], $members[$y]); $b = [Math]::Max($members[$x], $members[$y])
                    $key = [long]$a * 100000 + $b
                    $counts[$key] = 1 + [int]$counts[$key]
                }
            }
        }
        $pairs = foreach ($kv in $counts.GetEnumerator()) { , @([int][Math]::Floor($kv.Key / 100000), [int]($kv.Key % 100000), [float]$kv.Value) }
        $m = New-TestMatrix $Set.EntityCount $pairs $Set.Popularity
        [EmbedPS.Core.Cooccurrence.CooccurrenceMatrix]::new($Set.Entities, $Set.Popularity, $m.RowOffsets, $m.ColumnIndices, $m.Weights, $null)
    }

    # A ring of 40 entities with unit-ish counts and a few chords: connected, every entity has neighbours.
    $pairs = @(for ($i = 0; $i -lt 40; $i++) { , @($i, (($i + 1) % 40), [float](2 + $i % 3)) }) + @(, @(0, 20, [float]5)) + @(, @(5, 30, [float]1))
    $script:ring = New-TestMatrix 40 $pairs

    $csv = Join-Path $script:dir 'points.csv'
    $lines = @('name,x,y,z,label')
    for ($i = 0; $i -lt 60; $i++) {
        $offset = if ($i % 2) { 10 } else { 0 }
        $lines += ('p{0},{1},{2},{3},L{4}' -f $i, ($offset + ($i % 7) * 0.1), ($offset + ($i % 5) * 0.13), (($i % 3) * 0.07), ($i % 2))
    }
    Set-Content -Path $csv -Value $lines
    $script:csv = $csv
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Invoke-NeighborPreservation' -Tag 'Unit' {
    It 'has help with examples and declares its output type' {
        $help = Get-Help Invoke-NeighborPreservation -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        (Get-Command Invoke-NeighborPreservation).OutputType.Type | Should -Contain ([EmbedPS.Core.NeighborPreservation.NeighborGraph])
    }

    It 'builds a neighbour graph from a co-occurrence matrix with the reference configuration' {
        $g = $script:ring | Invoke-NeighborPreservation -NeighborCount 3 -Seed 1
        $g | Should -BeOfType ([EmbedPS.Core.NeighborPreservation.NeighborGraph])
        $g.EntityCount | Should -Be 40
        $g.NeighborEdgeCount | Should -BeGreaterOrEqual 60   # 40 × 3 directed, at most halved by mutuality
        $g.RepulsiveEdgeCount | Should -Be $g.NeighborEdgeCount
        # Data only: neighbour edges weigh 1 (one-way) or 2 (mutual), repulsive pairs -1; no embedding settings.
        @($g.Weights | Sort-Object -Unique) | Should -Be @(-1, 1, 2)
        $g.PSObject.Properties.Name | Should -Not -Contain 'Configuration'
        foreach ($e in 0..($g.EdgeCount - 1)) { $g.EdgeSource[$e] | Should -BeLessThan $g.EdgeTarget[$e] }
        $g.Provenance.Parameters['NeighborCount'] | Should -Be 3
    }

    It 'is deterministic under -Seed and changes with it' {
        $a = $script:ring | Invoke-NeighborPreservation -NeighborCount 3 -Seed 5
        $b = $script:ring | Invoke-NeighborPreservation -NeighborCount 3 -Seed 5
        $c = $script:ring | Invoke-NeighborPreservation -NeighborCount 3 -Seed 6
        ($a.EdgeTarget -join ',') | Should -Be ($b.EdgeTarget -join ',')
        ($a.EdgeTarget -join ',') | Should -Not -Be ($c.EdgeTarget -join ',')
    }

    It 'runs the Tiny sample pipeline' {
        $set = New-SyntheticCollection -Size Tiny -Seed 3
        $cooc = if (Get-Command New-CooccurrenceMatrix -ErrorAction SilentlyContinue) { $set | New-CooccurrenceMatrix } else { ConvertTo-TestCooccurrence $set }
        $g = $cooc | Invoke-NeighborPreservation -Seed 42 -WarningAction SilentlyContinue
        $g.EntityCount | Should -Be $set.EntityCount
        $g.NeighborEdgeCount | Should -BeGreaterThan ($set.EntityCount * 2)
        $g.RepulsiveEdgeCount | Should -Be $g.NeighborEdgeCount
    }

    It 'takes rows of a numeric table from Import-Csv, using every numeric column and the id column' {
        $g = Import-Csv $script:csv | Invoke-NeighborPreservation -IdProperty name -NeighborCount 5 -Seed 2 -Verbose 4>&1 |
            Where-Object { $_ -is [EmbedPS.Core.NeighborPreservation.NeighborGraph] }
        $g.EntityCount | Should -Be 60
        $g.Entities.GetText(0) | Should -Be 'p0'
        $g.Provenance.Parameters['Features'] | Should -Be 'x,y,z'
        # Two clusters 10 apart: no neighbour edge crosses them.
        foreach ($e in 0..($g.EdgeCount - 1)) {
            if ($g.Weights[$e] -gt 0) { ($g.EdgeSource[$e] % 2) | Should -Be ($g.EdgeTarget[$e] % 2) }
        }
    }

    It 'warns when a parameter does not apply to the input' {
        $null = Import-Csv $script:csv | Invoke-NeighborPreservation -NeighborCount 5 -Normalize Ppmi -WarningVariable w -WarningAction SilentlyContinue
        ($w -join "`n") | Should -BeLike '*-Normalize applies to co-occurrence input only*'
        $null = $script:ring | Invoke-NeighborPreservation -NeighborCount 3 -Algorithm Exact -WarningVariable w2 -WarningAction SilentlyContinue
        ($w2 -join "`n") | Should -BeLike '*-Algorithm applies to vector input only*'
    }

    It 'reads a CSV file by -InputPath and by piped file objects' {
        $a = Invoke-NeighborPreservation -InputPath $script:csv -NeighborCount 5 -Seed 2
        $b = Get-Item $script:csv | Invoke-NeighborPreservation -NeighborCount 5 -Seed 2
        $a.EntityCount | Should -Be 60
        ($a.EdgeTarget -join ',') | Should -Be ($b.EdgeTarget -join ',')
        $a.Provenance.Inputs[0].Sha256 | Should -Not -BeNullOrEmpty
    }

    It 'takes an Embedding as vectors' {
        $ids = [EmbedPS.Core.Common.EntityIds]::FromIntegers([long[]](1..30))
        $coords = [float[]]::new(60); for ($i = 0; $i -lt 60; $i++) { $coords[$i] = [float](($i * 7919) % 101) / 10 }
        $emb = [EmbedPS.Core.Mde.Embedding]::new($ids, [int[]]::new(30), 2, $coords, $null)
        $g = $emb | Invoke-NeighborPreservation -NeighborCount 4
        $g.EntityCount | Should -Be 30
        $g.Entities[0] | Should -Be 1
        $g.NeighborEdgeCount | Should -BeGreaterOrEqual 60
    }

    It 'leaves the embedding settings to Invoke-Mde' {
        $names = (Get-Command Invoke-NeighborPreservation).Parameters.Keys
        $mde = @((Get-Command Invoke-Mde).Parameters.Values | ForEach-Object { $_.Name; $_.Aliases })
        foreach ($p in 'EmbeddingDimension', 'AttractivePenalty', 'AttractiveExponent', 'RepulsivePenalty', 'RepulsiveExponent', 'Constraint', 'Init') {
            $names | Should -Not -Contain $p
            $mde | Should -Contain $p
        }
    }

    It 'round-trips through -OutFile' {
        $path = Join-Path $script:dir 'graph.parquet'
        $g = $script:ring | Invoke-NeighborPreservation -NeighborCount 3 -Seed 1 -OutFile $path
        Test-Path $path | Should -BeTrue
        $back = Import-EmbedArtifact $path
        $back | Should -BeOfType ([EmbedPS.Core.NeighborPreservation.NeighborGraph])
        ($back.EdgeSource -join ',') | Should -Be ($g.EdgeSource -join ',')
        ($back.EdgeTarget -join ',') | Should -Be ($g.EdgeTarget -join ',')
        ($back.Weights -join ',') | Should -Be ($g.Weights -join ',')
        $back.Provenance.Parameters['Seed'] | Should -Be 1
    }

    It '-WhatIf writes nothing but still emits the graph' {
        $path = Join-Path $script:dir 'whatif.parquet'
        $g = $script:ring | Invoke-NeighborPreservation -NeighborCount 3 -OutFile $path -WhatIf
        Test-Path $path | Should -BeFalse
        $g.EntityCount | Should -Be 40
    }

    It 'warns about isolated entities and components, and -ConnectComponents links them' {
        $m = New-TestMatrix 7 @(@(0, 1, [float]3), @(1, 2, [float]3), @(0, 2, [float]3), @(3, 4, [float]3), @(4, 5, [float]3), @(3, 5, [float]3))
        $null = $m | Invoke-NeighborPreservation -NeighborCount 2 -WarningVariable warnings -WarningAction SilentlyContinue
        ($warnings -join "`n") | Should -BeLike '*1 have none*'
        ($warnings -join "`n") | Should -BeLike '*3 connected components*'
        $g = $m | Invoke-NeighborPreservation -NeighborCount 2 -ConnectComponents -WarningAction SilentlyContinue
        $touched = @($g.EdgeSource) + @($g.EdgeTarget) | Sort-Object -Unique
        $touched.Count | Should -Be 7
    }

    It 'names the row, column and value of a non-numeric feature' {
        $err = { Import-Csv $script:csv | Invoke-NeighborPreservation -FeatureProperty x, label -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NonNumericFeature*'
        $err.Exception.Message | Should -BeLike "*row 1*'label'*L0*"
    }

    It 'refuses the wrong stage object' {
        { New-SyntheticCollection -Size Tiny | Invoke-NeighborPreservation -ErrorAction Stop } | Should -Throw -ErrorId 'WrongInputType*'
        { Invoke-NeighborPreservation -InputPath (Join-Path $script:dir 'missing.parquet') -ErrorAction Stop } | Should -Throw -ErrorId 'InputNotFound*'
    }
}
