BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Test-EmbedArtifact' -Tag 'Unit' {
    It 'is $true for what a stage wrote and $false, with details, for a corrupted copy' {
        $good = Join-Path $script:dir 'collections.parquet'
        New-SyntheticCollection -Size Tiny -OutFile $good | Out-Null
        Test-EmbedArtifact $good | Should -BeTrue
        Test-EmbedArtifact $good -Kind Collections | Should -BeTrue
        Test-EmbedArtifact $good -Kind Embedding | Should -BeFalse

        $bad = Join-Path $script:dir 'corrupt.parquet'
        $bytes = [IO.File]::ReadAllBytes($good)
        for ($i = 100; $i -lt 164; $i++) { $bytes[$i] = $bytes[$i] -bxor 0x5A }
        [IO.File]::WriteAllBytes($bad, $bytes)
        Test-EmbedArtifact $bad | Should -BeFalse
        $detail = Test-EmbedArtifact $bad -Detailed
        $detail.IsValid | Should -BeFalse
        $detail.Problems[0].File | Should -Be $bad
        { Import-EmbedArtifact $bad -ErrorAction Stop } | Should -Throw -ErrorId 'ContentHashMismatch*'
    }
    It 'takes file objects from Get-ChildItem' {
        $results = Get-ChildItem $script:dir -Filter *.parquet | Test-EmbedArtifact -Detailed
        @($results).Count | Should -Be 2
        @($results | Where-Object IsValid).Count | Should -Be 1
    }
}

Describe 'Write safety' -Tag 'Unit' {
    It 'refuses -NoClobber before computing and names the target' {
        $path = Join-Path $script:dir 'exists.parquet'
        Set-Content $path 'keep'
        $script:ran = $false
        { New-SyntheticCollection -Size Tiny | ForEach-Object { $script:ran = $true; $_ } | New-CooccurrenceMatrix -OutFile $path -NoClobber -ErrorAction Stop } |
            Should -Throw -ErrorId 'NoClobber*'
        $script:ran | Should -BeFalse
        Get-Content $path | Should -Be 'keep'
    }
    It '-Force -WhatIf leaves a read-only target read-only' {
        $path = Join-Path $script:dir 'readonly.parquet'
        Set-Content $path 'keep'
        Set-ItemProperty $path -Name IsReadOnly -Value $true
        New-SyntheticCollection -Size Tiny | Export-EmbedArtifact -Path $path -Force -WhatIf
        (Get-Item $path).IsReadOnly | Should -BeTrue
        Set-ItemProperty $path -Name IsReadOnly -Value $false
    }
}

Describe 'Import-EntityCollection -Encoding' -Tag 'Unit' {
    It 'refuses invalid UTF-8 with file, line and byte offset, and reads it with -Encoding latin1' {
        $path = Join-Path $script:dir 'latin1.csv'
        [IO.File]::WriteAllBytes($path, [Text.Encoding]::Latin1.GetBytes("user,item`nu1,caf$([char]0xE9)`nu1,x`nu2,caf$([char]0xE8)`nu2,x`n"))
        { Import-EntityCollection $path -CollectionProperty user -EntityProperty item -ErrorAction Stop } | Should -Throw -ExpectedMessage "*line 2, byte offset*"
        (Import-EntityCollection $path -CollectionProperty user -EntityProperty item -Encoding latin1).EntityCount | Should -Be 3
    }
}

Describe 'Metadata and list parameters (issue 20)' -Tag 'Unit' {
    BeforeAll {
        $script:embedding = New-SyntheticCollection -Size Tiny -Seed 3 | New-CooccurrenceMatrix | Invoke-NeighborPreservation -NeighborCount 10 -Seed 1 | Invoke-Mde -MaxIterations 30 -Seed 1
        $script:projection = $script:embedding | ConvertTo-Projection -Method Pca
        $script:ids = @($script:projection.Rows.Entity)
    }
    It '<Name> $null is a parameter validation error, not an ArgumentNullException' -TestCases @(
        @{ Name = 'CategoryProperty' }, @{ Name = 'SearchProperty' }, @{ Name = 'TooltipProperty' }, @{ Name = 'LayoutName' }
    ) {
        $splat = @{ $Name = $null }
        $err = { $script:projection | Export-EmbeddingAtlas -Path (Join-Path $script:dir "atlas-null-$Name") @splat -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike "ParameterArgumentValidationError*"
        $err.Exception.Message | Should -Match $Name
        $err.Exception.Message | Should -Not -Match "Parameter 'source'"
    }
    It 'warns (not only with -Verbose) about metadata ids that match no entity and entities without metadata' {
        $meta = Join-Path $script:dir 'partial.csv'
        @('entity,group') + ($script:ids[3..($script:ids.Count - 1)] | ForEach-Object { "$_,g" }) + @('nobody,g', 'ghost,g') | Set-Content $meta
        $null = $script:projection | Export-EmbeddingAtlas -Path (Join-Path $script:dir 'atlas-partial') -Metadata $meta -WarningVariable w -WarningAction SilentlyContinue
        $text = $w -join "`n"
        $text | Should -Match "3 of $($script:ids.Count) entities have no metadata row \('$($script:ids[0])'"
        $text | Should -Match "2 metadata rows have ids that match no entity \('nobody', 'ghost'\)"
    }
    It 'refuses a repeated metadata id naming it and its lines, and with -AllowDuplicateId warns and keeps the first row' {
        $meta = Join-Path $script:dir 'dup.csv'
        @('entity,group') + ($script:ids | ForEach-Object { "$_,g" }) + @("$($script:ids[1]),other") | Set-Content $meta
        $line = $script:ids.Count + 2
        { $script:projection | Export-EmbeddingPreview -Path (Join-Path $script:dir 'dup.png') -Metadata $meta -ColorProperty group -ErrorAction Stop } |
            Should -Throw -ErrorId 'MetadataDuplicateId*' -ExpectedMessage "*'$($script:ids[1])' (lines 3, $line)*"
        $null = $script:projection | Export-EmbeddingPreview -Path (Join-Path $script:dir 'dup.png') -Metadata $meta -ColorProperty group -AllowDuplicateId -WarningVariable w -WarningAction SilentlyContinue
        ($w -join "`n") | Should -Match "lines 3, $line"
        $report = $script:projection | Measure-Embedding -Metadata $meta -LabelProperty group -AllowDuplicateId -WarningAction SilentlyContinue
        $report.LabelAccuracy | Should -Be 1
    }
}

Describe 'Help and display (issue 20)' -Tag 'Unit' {
    It 'Get-Help names the type under a nullable parameter, never Nullable`1' {
        (Get-Help Import-EntityCollection -Parameter Delimiter).type.name | Should -Be 'Char'
        (Get-Help Test-EmbedArtifact -Parameter Kind).type.name | Should -Be 'ArtifactKind'
        foreach ($command in Get-Command -Module EmbedPS) {
            foreach ($parameter in @((Get-Help $command.Name -Full).parameters.parameter)) {
                "$($parameter.type.name)" | Should -Not -Match 'Nullable|`' -Because "$($command.Name) -$($parameter.name)"
            }
        }
    }
    It 'every output type has a short default display property set, so an object after another type prints in a few lines' {
        $types = foreach ($command in Get-Command -Module EmbedPS) { foreach ($t in $command.OutputType) { $t.Type } }
        foreach ($type in $types | Where-Object { $_ -and $_.Namespace -like 'EmbedPS*' } | Sort-Object FullName -Unique) {
            $set = (Get-TypeData $type.FullName).DefaultDisplayPropertySet
            $set | Should -Not -BeNullOrEmpty -Because "$($type.FullName) needs a DefaultDisplayPropertySet"
            @($set.ReferencedProperties).Count | Should -BeLessOrEqual 5 -Because "$($type.FullName)'s list stays short"
        }
        $file = Join-Path $script:dir 'display.txt'
        Set-Content $file 'x'
        $embedding = New-SyntheticCollection -Size Tiny -Seed 5 | New-CooccurrenceMatrix | Invoke-NeighborPreservation -Seed 1 -WarningAction SilentlyContinue | Invoke-Mde -MaxIterations 5 -Device Cpu
        $text = & { Get-Item $file; $embedding } | Out-String -Width 80
        $text | Should -Not -Match 'Coordinates|Rows|Provenance'
        @($text -split "`n" | Where-Object { $_.Trim() }).Count | Should -BeLessOrEqual 12 -Because "the embedding after a file is a few lines:`n$text"
    }
    It 'shows the Source of collections imported from a file, and K instead of an empty Configuration for a neighbour graph' {
        $csv = Join-Path $script:dir 'source-plays.csv'
        "user,item`nu1,a`nu1,b`nu2,a`nu2,b`nu2,c`nu3,c`nu3,a" | Set-Content $csv
        $set = Import-EntityCollection $csv -CollectionProperty user -EntityProperty item
        ($set | Out-String -Width 80) | Should -Match 'source-plays\.csv'
        $graph = $set | New-CooccurrenceMatrix | Invoke-NeighborPreservation -NeighborCount 2 -WarningAction SilentlyContinue
        $text = $graph | Out-String -Width 80
        $text | Should -Not -Match 'Configuration'
        $text | Should -Match '\bK\b'
    }
}
