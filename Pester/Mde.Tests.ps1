BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-mde-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null

    # A small neighbour graph built here (the neighbour stage is separate): two Gaussian blobs in 5 dims, exact kNN (k = 6),
    # weights 2 (mutual) / 1 (one-way), plus as many random non-neighbour pairs with weight -1.
    function New-TestGraph([int] $Count = 100, [int] $Seed = 1) {
        $random = [Random]::new($Seed)
        $dimension = 5
        $data = [float[]]::new($Count * $dimension)
        for ($i = 0; $i -lt $Count; $i++) {
            $offset = if ($i % 2) { 8.0 } else { 0.0 }
            for ($a = 0; $a -lt $dimension; $a++) { $data[$i * $dimension + $a] = [float]($offset + $random.NextDouble() * 2) }
        }
        $knn = [EmbedPS.Core.Knn.VectorKnn]::Exact($data, $Count, $dimension, 6, $null, [Threading.CancellationToken]::None)
        $weights = [Collections.Generic.SortedDictionary[long, float]]::new()
        for ($i = 0; $i -lt $Count; $i++) {
            foreach ($j in $knn.Indices[($i * 6)..($i * 6 + 5)]) {
                $key = [long][Math]::Min($i, $j) * $Count + [Math]::Max($i, $j)
                $weights[$key] = $weights[$key] + 1
            }
        }
        $attractive = $weights.Count
        while ($weights.Count -lt 2 * $attractive) {
            $i = $random.Next($Count); $j = $random.Next($Count)
            if ($i -eq $j) { continue }
            $key = [long][Math]::Min($i, $j) * $Count + [Math]::Max($i, $j)
            if (-not $weights.ContainsKey($key)) { $weights[$key] = -1 }
        }
        $source = [int[]]@($weights.Keys | ForEach-Object { [int][Math]::Floor($_ / $Count) })
        $target = [int[]]@($weights.Keys | ForEach-Object { [int]($_ % $Count) })
        $w = [float[]]@($weights.Values)
        $ids = [EmbedPS.Core.Common.EntityIds]::FromIntegers([long[]](0..($Count - 1)))
        [EmbedPS.Core.NeighborPreservation.NeighborGraph]::new($ids, [int[]]::new($Count), $source, $target, $w, [float[]]::new($w.Count), $null)
    }
    $script:graph = New-TestGraph
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Invoke-Mde' -Tag 'Unit' {
    It 'has help with examples and declares its output type' {
        $help = Get-Help Invoke-Mde -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        (Get-Command Invoke-Mde).OutputType.Type | Should -Contain ([EmbedPS.Core.Mde.Embedding])
    }
    It 'embeds a piped graph and separates its two clusters' {
        $e = $script:graph | Invoke-Mde -Seed 3 -MaxIterations 100 -Device Cpu
        $e | Should -BeOfType ([EmbedPS.Core.Mde.Embedding])
        $e.EntityCount | Should -Be 100
        $e.Dimension | Should -Be 3
        $e.Iterations | Should -BeGreaterThan 0
        $e.DistortionHistory.Count | Should -Be $e.Iterations
        $e.FinalDistortion | Should -BeLessThan $e.DistortionHistory[0]
        # Even entities came from one blob, odd from the other: their centroids end far apart.
        $centroid = foreach ($parity in 0, 1) {
            , (0..2 | ForEach-Object { $a = $_; ((0..99 | Where-Object { $_ % 2 -eq $parity } | ForEach-Object { $e.Coordinates[$_ * 3 + $a] }) | Measure-Object -Average).Average })
        }
        $gap = [Math]::Sqrt((0..2 | ForEach-Object { [Math]::Pow($centroid[0][$_] - $centroid[1][$_], 2) } | Measure-Object -Sum).Sum)
        $gap | Should -BeGreaterThan 1
    }
    It 're-solves a saved neighbour graph with another penalty, constraint, dimension and start, without the neighbour stage' {
        $graphPath = Join-Path $script:dir 'resolve-graph.parquet'
        New-SyntheticCollection -Size Tiny -Seed 2 | New-CooccurrenceMatrix | Invoke-NeighborPreservation -Seed 1 -OutFile $graphPath -WarningAction SilentlyContinue | Out-Null
        $default = Invoke-Mde -InputPath $graphPath -MaxIterations 30 -Device Cpu
        $default.Provenance.Parameters['AttractivePenalty'] | Should -BeLike 'Log1p*'
        $default.Provenance.Parameters['Constraint'] | Should -Be 'Centered'
        $default.Provenance.Parameters['Init'] | Should -Be 'Quadratic'
        $default.Dimension | Should -Be 3
        $quadratic = Invoke-Mde -InputPath $graphPath -AttractivePenalty Quadratic -Constraint Standardized -Dimension 2 -Init Random -MaxIterations 30 -Device Cpu
        $quadratic.Dimension | Should -Be 2
        $quadratic.Provenance.Parameters['AttractivePenalty'] | Should -BeLike 'Quadratic*'
        $quadratic.Provenance.Parameters['Constraint'] | Should -Be 'Standardized'
        $quadratic.Provenance.Parameters['Init'] | Should -Be 'Random'
        # Standardized: (1/n) XᵀX = I, so each column's mean square is 1.
        $n = $quadratic.EntityCount
        $sq = 0.0; for ($i = 0; $i -lt $n; $i++) { $sq += [double]$quadratic.Coordinates[$i * 2] * $quadratic.Coordinates[$i * 2] }
        ($sq / $n) | Should -BeGreaterThan 0.999
        ($sq / $n) | Should -BeLessThan 1.001
        $quadratic.FinalDistortion | Should -Not -Be $default.FinalDistortion
    }
    It 'starts from -InitialEmbedding (matched by id) and refuses -Init Embedding without one' {
        $start = $script:graph | Invoke-Mde -Seed 3 -MaxIterations 10 -Device Cpu
        $again = $script:graph | Invoke-Mde -InitialEmbedding $start -MaxIterations 0 -Device Cpu
        $again.Provenance.Parameters['Init'] | Should -Be 'Embedding'
        # Centered projection of an already centred start changes nothing (up to rounding).
        $worst = 0.0; for ($t = 0; $t -lt $start.Coordinates.Length; $t++) { $worst = [Math]::Max($worst, [Math]::Abs($start.Coordinates[$t] - $again.Coordinates[$t])) }
        $worst | Should -BeLessThan 1e-4
        { $script:graph | Invoke-Mde -Init Embedding -ErrorAction Stop } | Should -Throw -ErrorId 'MissingInitEmbedding*'
        { $script:graph | Invoke-Mde -InitialEmbedding $start -Dimension 2 -ErrorAction Stop } | Should -Throw -ErrorId 'InitDimensionMismatch*'
    }
    It 'is deterministic under -Seed' {
        $a = $script:graph | Invoke-Mde -Seed 5 -MaxIterations 20
        $b = $script:graph | Invoke-Mde -Seed 5 -MaxIterations 20
        [Linq.Enumerable]::SequenceEqual($a.Coordinates, $b.Coordinates) | Should -BeTrue
    }
    It 'round-trips through -OutFile and binds artifact files by property name' {
        $graphPath = Join-Path $script:dir 'graph.parquet'
        $script:graph | Export-EmbedArtifact -Path $graphPath
        $out = Join-Path $script:dir 'embedding.parquet'
        $e = Get-Item $graphPath | Invoke-Mde -MaxIterations 15 -OutFile $out
        $back = Import-EmbedArtifact $out
        $back | Should -BeOfType ([EmbedPS.Core.Mde.Embedding])
        [Linq.Enumerable]::SequenceEqual($back.Coordinates, $e.Coordinates) | Should -BeTrue
        $back.FinalDistortion | Should -Be $e.FinalDistortion
        $back.Iterations | Should -Be 15
        $back.Provenance.Parameters['MaxIterations'] | Should -Be 15
    }
    It '-WhatIf writes nothing' {
        $out = Join-Path $script:dir 'whatif.parquet'
        $script:graph | Invoke-Mde -MaxIterations 3 -OutFile $out -WhatIf | Out-Null
        Test-Path $out | Should -BeFalse
    }
    It 'keeps snapshots and prints verbose iteration lines' {
        $verbose = $script:graph | Invoke-Mde -MaxIterations 10 -Tolerance 0 -SnapshotEvery 5 -VerboseEvery 5 -Verbose 4>&1
        $e = $verbose | Where-Object { $_ -is [EmbedPS.Core.Mde.Embedding] }
        @($e.Snapshots).Count | Should -Be 2
        @($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -like 'iteration *' }).Count | Should -Be 2
        @($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -like 'Device Auto*' }).Count | Should -Be 1
    }
    It 'names the file when -InputPath is not a neighbour graph' {
        $path = Join-Path $script:dir 'not-a-graph.parquet'
        New-SyntheticCollection -Size Tiny -OutFile $path | Out-Null
        { Invoke-Mde -InputPath $path -ErrorAction Stop } | Should -Throw -ErrorId 'WrongArtifactKind*'
    }
}
