BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-collections-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null
    $script:csv = Join-Path $script:dir 'ratings.csv'
    @(
        'user,anime,rating,seen'
        'u1,a,5,2024-05-01T00:00:00Z'
        'u1,b,3,2024-05-02T00:00:00Z'
        'u2,a,4,1714521600'
        'u2,c,2,1714521600'
        'u3,a,1,1714521600'
        'u3,b,2,1714521600'
        'u1,a,1,1714608000'
    ) | Set-Content -LiteralPath $script:csv -Encoding utf8
    $script:importArgs = @{ CollectionProperty = 'user'; EntityProperty = 'anime'; WeightProperty = 'rating' }
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Parameter contract' -Tag 'Unit' {
    It '<Name> has exactly the expected parameters' -ForEach @(
        @{ Name = 'Import-EntityCollection'; Expected = @('Path', 'LiteralPath', 'InputObject', 'CollectionProperty', 'EntityProperty',
                'WeightProperty', 'ValueProperty', 'TimestampProperty', 'Delimiter', 'Encoding', 'AllowNegativeWeight', 'OutFile', 'NoClobber', 'Force') }
        @{ Name = 'Select-EntityCollection'; Expected = @('InputObject', 'InputPath', 'MinCollections', 'Top', 'MinCollectionSize',
                'MaxCollectionSize', 'Include', 'Exclude', 'OutFile', 'NoClobber', 'Force') }
    ) {
        $command = Get-Command $Name
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $actual = $command.Parameters.Keys | Where-Object { $_ -notin $common }
        Compare-Object -ReferenceObject $Expected -DifferenceObject $actual | Should -BeNullOrEmpty
        $command.OutputType.Type.FullName | Should -Contain 'EmbedPS.Core.Collections.EntityCollectionSet'
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
    }
    It 'Import-EntityCollection binds file objects by FullName and PSPath' {
        $literal = (Get-Command Import-EntityCollection).Parameters['LiteralPath']
        $literal.Aliases | Should -Contain 'FullName'
        $literal.Aliases | Should -Contain 'PSPath'
        ($literal.Attributes | Where-Object { $_ -is [Parameter] }).ValueFromPipelineByPropertyName | Should -BeTrue
    }
    It '<Name> has full help: synopsis, description, two examples, every parameter described' -ForEach @(
        @{ Name = 'Import-EntityCollection' }, @{ Name = 'Select-EntityCollection' }
    ) {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        ($help.Description | Out-String).Trim().Length | Should -BeGreaterThan 300 -Because 'the whole description must reach the help, not just its last paragraph'
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($parameter in $help.Parameters.Parameter) {
            ($parameter.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "parameter $($parameter.Name) needs a description"
        }
    }
}

Describe 'Import-EntityCollection' -Tag 'Unit' {
    It 'reads a CSV file with merged duplicates and summed weights' {
        $set = Import-EntityCollection -Path $script:csv @script:importArgs
        $set | Should -BeOfType ([EmbedPS.Core.Collections.EntityCollectionSet])
        $set.CollectionCount | Should -Be 3
        $set.EntityCount | Should -Be 3
        $set.PairCount | Should -Be 6
        $set.DuplicatePairsMerged | Should -Be 1
        $set.Weights | Measure-Object -Sum | ForEach-Object Sum | Should -Be 18
        $set.Provenance.Inputs[0].Sha256 | Should -Be (Get-FileHash -LiteralPath $script:csv -Algorithm SHA256).Hash.ToLowerInvariant()
    }
    It 'binds a file object by property name (Get-Item | Import-EntityCollection)' {
        $set = Get-Item $script:csv | Import-EntityCollection @script:importArgs
        $set.PairCount | Should -Be 6
    }
    It 'reads several piped files into one set' {
        $second = Join-Path $script:dir 'more.csv'
        "user,anime,rating`nu9,z,1" | Set-Content -LiteralPath $second
        $sets = @(Get-ChildItem $script:csv, $second | Import-EntityCollection @script:importArgs)
        $sets.Count | Should -Be 1
        $sets[0].CollectionCount | Should -Be 4
        $sets[0].Provenance.Inputs.Count | Should -Be 2
    }
    It 'binds objects from Import-Csv by value, reading properties by name' {
        $fromObjects = Import-Csv $script:csv | Import-EntityCollection @script:importArgs -TimestampProperty seen
        $fromFile = Import-EntityCollection $script:csv @script:importArgs -TimestampProperty seen
        $fromObjects.PairCount | Should -Be $fromFile.PairCount
        $fromObjects.Weights | Should -Be $fromFile.Weights
        $fromObjects.Timestamps | Should -Be $fromFile.Timestamps
        $fromObjects.Timestamps | Should -Contain 1714521600
    }
    It 'binds hashtables and typed values' {
        $set = @(
            @{ user = 1; item = 10; w = 2.5 }
            @{ user = 1; item = 11; w = 1 }
            @{ user = 2; item = 10; w = 1 }
        ) | Import-EntityCollection -CollectionProperty user -EntityProperty item -WeightProperty w
        $set.Entities.IsInteger | Should -BeTrue
        $set.Popularity | Should -Be @(2, 1)
    }
    It 'reads an array given to -InputObject element by element' {
        $rows = Import-Csv $script:csv
        $set = Import-EntityCollection -InputObject $rows @script:importArgs
        $set.PairCount | Should -Be 6
        $set.DuplicatePairsMerged | Should -Be 1
    }
    It 'reads a Parquet artifact and a Hive-partitioned folder of Parquet files' {
        $artifact = Join-Path $script:dir 'hive-source.parquet'
        $set = Import-EntityCollection $script:csv @script:importArgs -OutFile $artifact
        $again = Import-EntityCollection $artifact -WeightProperty weight
        $again.PairCount | Should -Be $set.PairCount
        $again.Weights | Measure-Object -Sum | ForEach-Object Sum | Should -Be 18
        # Two partitions holding the same pairs: used as the collection id, the partition key gives one collection per folder.
        $hive = Join-Path $script:dir 'hive'
        foreach ($part in 'region=eu', 'region=us') {
            New-Item -ItemType Directory (Join-Path $hive $part) -Force | Out-Null
            Copy-Item $artifact (Join-Path $hive "$part/part-00000.parquet")
        }
        $byRegion = Import-EntityCollection $hive -CollectionProperty region -EntityProperty entity
        $byRegion.CollectionCount | Should -Be 2
        $byRegion.Collections.Strings | Should -Be @('eu', 'us')
        $byRegion.PairCount | Should -Be 6
        $byRegion.DuplicatePairsMerged | Should -Be 6
        $byRegion.Provenance.Inputs.Count | Should -Be 2
    }
    It '-WhatIf with -OutFile writes nothing but still emits the set' {
        $out = Join-Path $script:dir 'whatif.parquet'
        $set = Import-EntityCollection $script:csv @script:importArgs -OutFile $out -WhatIf
        Test-Path $out | Should -BeFalse
        $set.PairCount | Should -Be 6
    }
    It '-OutFile writes an artifact that reads back with the same pairs' {
        $out = Join-Path $script:dir 'ratings.parquet'
        $set = Import-EntityCollection $script:csv @script:importArgs -OutFile $out
        (Import-EmbedArtifact $out).PairCount | Should -Be $set.PairCount
    }
    It 'reports a summary with -Verbose' {
        $verbose = Import-EntityCollection $script:csv @script:importArgs -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match 'merged 1 duplicate'
    }
    It 'gives an error record naming the file, line, column and value, and writes nothing' {
        $bad = Join-Path $script:dir 'bad.csv'
        "user,anime,rating`nu1,a,5`nu1,b,lots" | Set-Content -LiteralPath $bad
        $out = Join-Path $script:dir 'bad.parquet'
        $err = { Import-EntityCollection $bad @script:importArgs -OutFile $out -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidWeight,*ImportEntityCollectionCommand'
        $err.Exception.Message | Should -BeLike "*$bad*line 3*'rating'*'lots'*"
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        Test-Path $out | Should -BeFalse
    }
    It 'lists the available columns when one is missing' {
        $err = { Import-EntityCollection $script:csv -CollectionProperty user_id -EntityProperty anime -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ColumnNotFound,*'
        $err.Exception.Message | Should -BeLike "*'user', 'anime', 'rating', 'seen'*"
    }
    It 'reports a path that does not exist' {
        { Import-EntityCollection (Join-Path $script:dir 'missing.csv') -ErrorAction Stop } | Should -Throw -ErrorId 'InputNotFound,*'
    }
}

Describe 'Select-EntityCollection' -Tag 'Unit' {
    It 'filters until stable and reports each round' {
        $set = Import-EntityCollection $script:csv @script:importArgs
        # Popularity: a 3, b 2, c 1. MinCollections 2 drops c; u2 is left with {a}, too small for MinCollectionSize 2;
        # then a is in 2 collections (u1, u3) and b in 2: stable.
        $records = $set | Select-EntityCollection -MinCollections 2 -MinCollectionSize 2 -Verbose 4>&1
        $result = $records | Where-Object { $_ -is [EmbedPS.Core.Collections.EntityCollectionSet] }
        $verbose = ($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $result.CollectionCount | Should -Be 2
        $result.EntityCount | Should -Be 2
        $result.PairCount | Should -Be 4
        $verbose | Should -Match 'Round 1: dropped'
        $verbose | Should -Match 'Round 2: dropped 1 collections'
        $result.Provenance.Parameters['MinCollections'] | Should -Be 2
    }
    It 'reads an artifact bound by property name and honours -WhatIf' {
        $path = Join-Path $script:dir 'select-in.parquet'
        $out = Join-Path $script:dir 'select-out.parquet'
        New-SyntheticCollection -Size Tiny -OutFile $path | Out-Null
        $result = Get-Item $path | Select-EntityCollection -Top 50 -OutFile $out -WhatIf
        $result.EntityCount | Should -BeLessOrEqual 50
        Test-Path $out | Should -BeFalse
        $result.Provenance.Inputs[0].Path | Should -Be (Get-Item $path).FullName
    }
    It 'fails clearly when nothing is left' {
        $err = { Import-EntityCollection $script:csv @script:importArgs | Select-EntityCollection -MinCollections 10 -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'FilterKeptNothing,*'
    }
}
