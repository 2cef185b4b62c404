BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-cooc-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null
    $script:tiny = New-SyntheticCollection -Size Tiny -Seed 5

    # A plain Parquet edge list (no EmbedPS footer), written with Parquet.Net the way DuckDB or Spark lay it out. Parquet.Net
    # lives in EmbedPS's own load context (not visible to type literals), so its types are taken from there.
    $script:parquet = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext([EmbedPS.Core.Common.EntityIds].Assembly).LoadFromAssemblyName([Reflection.AssemblyName]::new('Parquet'))
    function Write-PlainEdgeList([string] $Path, [long[]] $A, [long[]] $B, [double[]] $W) {
        $field = $script:parquet.GetType('Parquet.Schema.Field', $true)
        $dataField = $script:parquet.GetType('Parquet.Schema.DataField', $true)
        $fields = [Array]::CreateInstance($field, 3)
        $fields[0] = $dataField::new('entity_a', [long])
        $fields[1] = $dataField::new('entity_b', [long])
        $fields[2] = $dataField::new('weight', [double])
        $stream = [IO.File]::Create($Path)
        try {
            $schema = $script:parquet.GetType('Parquet.Schema.ParquetSchema', $true)::new($fields)
            $writer = $script:parquet.GetType('Parquet.ParquetWriter', $true)::CreateAsync($schema, $stream).GetAwaiter().GetResult()
            $group = $writer.CreateRowGroup()
            $none = [Threading.CancellationToken]::None
            $group.WriteAsync[long]($fields[0], [ReadOnlyMemory[long]]::new($A), $null, $null, $none).GetAwaiter().GetResult()
            $group.WriteAsync[long]($fields[1], [ReadOnlyMemory[long]]::new($B), $null, $null, $none).GetAwaiter().GetResult()
            $group.WriteAsync[double]($fields[2], [ReadOnlyMemory[double]]::new($W), $null, $null, $none).GetAwaiter().GetResult()
            $group.Dispose()
            $writer.DisposeAsync().AsTask().GetAwaiter().GetResult()
        } finally { $stream.Dispose() }
    }
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'New-CooccurrenceMatrix' -Tag 'Unit' {
    It 'has help with examples and formulas' {
        foreach ($name in 'New-CooccurrenceMatrix', 'Merge-CooccurrenceMatrix', 'Import-CooccurrenceMatrix') {
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty -Because $name
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2 -Because $name
        }
        $description = (Get-Help New-CooccurrenceMatrix).Description | Out-String
        $description | Should -Match 'InverseLogSize = 1/ln\(1\+s\)'
        $description | Should -Match 'MaxPartners'
        $description | Should -Match 'Ctrl\+C'
    }

    It 'takes collections from the pipeline and counts exactly' {
        $m = New-SyntheticCollection -Size Tiny -Seed 5 | New-CooccurrenceMatrix
        $m | Should -BeOfType ([EmbedPS.Core.Cooccurrence.CooccurrenceMatrix])
        $m.EntityCount | Should -Be $script:tiny.EntityCount
        # Pick the first collection's first two members and count their common collections by hand.
        $offsets = $script:tiny.CollectionOffsets; $members = $script:tiny.Members
        $a = $members[0]; $b = $members[1]
        $together = 0
        for ($c = 0; $c -lt $script:tiny.CollectionCount; $c++) {
            $set = $members[$offsets[$c]..($offsets[$c + 1] - 1)]
            if (($set -contains $a) -and ($set -contains $b)) { $together++ }
        }
        $together | Should -BeGreaterThan 0
        $m.WeightOf($a, $b) | Should -Be $together
        $m.WeightOf($b, $a) | Should -Be $together
    }

    It 'persists with -OutFile and round-trips through Import-EmbedArtifact' {
        $path = Join-Path $script:dir 'cooc.parquet'
        $m = $script:tiny | New-CooccurrenceMatrix -CollectionWeighting InverseLogSize -OutFile $path
        Test-Path $path | Should -BeTrue
        $back = Import-EmbedArtifact $path
        $back | Should -BeOfType ([EmbedPS.Core.Cooccurrence.CooccurrenceMatrix])
        $back.NonZeroCount | Should -Be $m.NonZeroCount
        [System.Linq.Enumerable]::SequenceEqual($back.Weights, $m.Weights) | Should -BeTrue
        $back.Provenance.Parameters['CollectionWeighting'] | Should -Be 'InverseLogSize'
    }

    It 'reads collections from an artifact path bound by property name' {
        $path = Join-Path $script:dir 'tiny-collections.parquet'
        $script:tiny | Export-EmbedArtifact -Path $path
        $m = Get-Item $path | New-CooccurrenceMatrix -MaxPartners 10 -ThrottleLimit 1
        $m.Provenance.Parameters['AppliedMaxPartners'] | Should -Be 10
        $m.Provenance.Inputs[0].Path | Should -Be $path
    }

    It '-WhatIf computes but writes nothing' {
        $path = Join-Path $script:dir 'whatif.parquet'
        $m = $script:tiny | New-CooccurrenceMatrix -OutFile $path -WhatIf
        $m | Should -Not -BeNullOrEmpty
        Test-Path $path | Should -BeFalse
    }

    It 'stops with a specific error when the matrix does not fit the memory budget' {
        $err = { $script:tiny | New-CooccurrenceMatrix -MaxPartners 0 -MaxMemoryGB 0.001 -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'CooccurrenceTooLarge*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -Match '-MaxPartners \d+'
    }

    It 'says which column a weighted mode needs' {
        $err = { $script:tiny | New-CooccurrenceMatrix -PairWeight WeightProduct -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NoItemWeights*'
        $err.Exception.Message | Should -Match 'weight'
    }
}

Describe 'Merge-CooccurrenceMatrix' -Tag 'Unit' {
    It 'sums shards into the matrix of all collections' {
        $whole = $script:tiny | New-CooccurrenceMatrix
        $twice = $whole, $whole | Merge-CooccurrenceMatrix
        $twice.NonZeroCount | Should -Be $whole.NonZeroCount
        $twice.Weights[0] | Should -Be (2 * $whole.Weights[0])
        $twice.Popularity[3] | Should -Be (2 * $whole.Popularity[3])
    }
    It 'merges artifact files given by path and writes the result' {
        $one = Join-Path $script:dir 'shard1.parquet'
        $two = Join-Path $script:dir 'shard2.parquet'
        $out = Join-Path $script:dir 'merged.parquet'
        $script:tiny | New-CooccurrenceMatrix -OutFile $one | Out-Null
        Copy-Item $one $two
        $merged = Get-ChildItem (Join-Path $script:dir 'shard*.parquet') | Merge-CooccurrenceMatrix -OutFile $out
        (Import-EmbedArtifact $out).PairCount | Should -Be $merged.PairCount
        $merged.Provenance.Inputs.Count | Should -Be 2
    }
    It 'refuses an empty input' {
        { @() | Merge-CooccurrenceMatrix -ErrorAction Stop } | Should -Throw
    }
}

Describe 'Import-CooccurrenceMatrix' -Tag 'Unit' {
    It 'imports a plain Parquet edge list' {
        $path = Join-Path $script:dir 'edges.parquet'
        Write-PlainEdgeList $path ([long[]](10, 10, 20, 10)) ([long[]](20, 30, 30, 10)) ([double[]](2, 1, 4, 9))
        $m = Import-CooccurrenceMatrix -Path $path
        $a = $m.Entities.IndexOf(10); $b = $m.Entities.IndexOf(20); $c = $m.Entities.IndexOf(30)
        $m.WeightOf($a, $b) | Should -Be 2
        $m.WeightOf($c, $b) | Should -Be 4
        $m.Popularity[$a] | Should -Be 9
        $m.Provenance.Parameters['Source'] | Should -Be 'edge-list'
    }
    It 'imports a folder of part files and a cooccurrence artifact' {
        $folder = Join-Path $script:dir 'spark-out'
        New-Item -ItemType Directory $folder | Out-Null
        Write-PlainEdgeList (Join-Path $folder 'part-00000.parquet') ([long[]](1, 1)) ([long[]](2, 1)) ([double[]](3, 5))
        Write-PlainEdgeList (Join-Path $folder 'part-00001.parquet') ([long[]](2)) ([long[]](1)) ([double[]](4))
        Set-Content (Join-Path $folder '_SUCCESS') ''
        $m = Import-CooccurrenceMatrix $folder
        $m.WeightOf(0, 1) | Should -Be 7
        $artifact = Join-Path $script:dir 'as-artifact.parquet'
        $m | Export-EmbedArtifact -Path $artifact
        (Import-CooccurrenceMatrix $artifact).WeightOf(1, 0) | Should -Be 7
    }
    It 'names file, line, column and value of a bad row' {
        $path = Join-Path $script:dir 'bad.csv'
        Set-Content $path "entity_a,entity_b,weight`na,b,1`nb,c,many"
        $err = { Import-CooccurrenceMatrix $path -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidWeight*'
        $err.Exception.Message | Should -BeLike "*bad.csv*line 3*weight*many*"
    }
    It 'reports a missing file' {
        { Import-CooccurrenceMatrix (Join-Path $script:dir 'nope.parquet') -ErrorAction Stop } | Should -Throw -ErrorId 'InputNotFound*'
    }
}
