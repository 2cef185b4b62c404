# What a PowerShell user expects of the interface: metadata as objects, per-entity rows, completion, 80-column views.
BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-ui-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null
    $script:metadataPath = Join-Path $script:dir 'entities.csv'
    $script:set = New-SyntheticCollection -Size Tiny -Seed 11 -MetadataPath $script:metadataPath
    $script:cooc = $script:set | New-CooccurrenceMatrix
    $script:graph = $script:cooc | Invoke-NeighborPreservation -Seed 1 -WarningAction SilentlyContinue
    $script:embedding = $script:graph | Invoke-Mde -MaxIterations 60 -Device Cpu
    $script:projection = $script:embedding | ConvertTo-Projection -Method Pca
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe '-Metadata takes a path or pipeline objects' -Tag 'Unit' {
    It 'Export-EmbeddingPreview draws the same picture from Import-Csv rows as from the CSV path' {
        $fromPath = Join-Path $script:dir 'from-path.png'
        $fromRows = Join-Path $script:dir 'from-rows.png'
        $script:projection | Export-EmbeddingPreview -Path $fromPath -Metadata $script:metadataPath -ColorProperty group
        $script:projection | Export-EmbeddingPreview -Path $fromRows -Metadata (Import-Csv $script:metadataPath) -ColorProperty group
        (Get-FileHash $fromRows).Hash | Should -Be (Get-FileHash $fromPath).Hash
        # Any objects with the id property; a subset leaves the others '(missing)', which changes the picture.
        $subset = Import-Csv $script:metadataPath | Where-Object group -eq 'G01' | ForEach-Object { [pscustomobject]@{ entity = [long]$_.entity; group = $_.group } }
        $fromSubset = Join-Path $script:dir 'from-subset.png'
        $script:projection | Export-EmbeddingPreview -Path $fromSubset -Metadata $subset -ColorProperty group
        (Get-FileHash $fromSubset).Hash | Should -Not -Be (Get-FileHash $fromPath).Hash
        { $script:projection | Export-EmbeddingPreview -Path (Join-Path $script:dir 'x.png') -Metadata ([pscustomobject]@{ id = 1; group = 'a' }) -ErrorAction Stop } |
            Should -Throw -ErrorId 'MetadataIdColumnMissing*'
    }
    It 'Measure-Embedding gives the same label accuracy from rows as from the path' {
        $a = $script:projection | Measure-Embedding -LabelProperty group -Metadata $script:metadataPath
        $b = $script:projection | Measure-Embedding -LabelProperty group -Metadata (Import-Csv $script:metadataPath)
        $a.LabelAccuracy | Should -BeGreaterThan 0.3
        $b.LabelAccuracy | Should -Be $a.LabelAccuracy
        $b.LabelledCount | Should -Be $script:set.EntityCount
    }
}

Describe 'Per-entity rows' -Tag 'Unit' {
    It 'a Projection enumerates as Entity, X, Y, Popularity rows for Sort-Object, Where-Object and Export-Csv' {
        $rows = $script:projection.Rows
        $rows.Count | Should -Be $script:projection.EntityCount
        $rows[0].PSObject.Properties.Name | Should -Be @('Entity', 'X', 'Y', 'Popularity')
        $rows[5].Entity | Should -Be $script:projection.Entities[5]
        $rows[5].X | Should -Be $script:projection.X[5]
        $top = $rows | Sort-Object Popularity -Descending | Select-Object -First 1
        $top.Popularity | Should -Be ($script:projection.Popularity | Measure-Object -Maximum).Maximum
        @($rows | Where-Object X -gt 0).Count | Should -Be @($script:projection.X | Where-Object { $_ -gt 0 }).Count
        $csv = Join-Path $script:dir 'rows.csv'
        $rows | Export-Csv $csv
        $back = Import-Csv $csv
        $back.Count | Should -Be $rows.Count
        [float]$back[7].Y | Should -Be $rows[7].Y
    }
    It 'an Embedding enumerates as Entity, X0 … X{d-1}, Popularity rows' {
        $rows = $script:embedding.Rows
        $rows[0].PSObject.Properties.Name | Should -Be @('Entity', 'X0', 'X1', 'X2', 'Popularity')
        $rows[3].X2 | Should -Be $script:embedding.Coordinates[3 * 3 + 2]
    }
}

Describe 'Argument completion' -Tag 'Unit' {
    It 'completes -ColorProperty and -LabelProperty with the metadata''s columns' {
        Push-Location $script:dir
        try {
            $line = '$p | Export-EmbeddingPreview -Path x.png -Metadata ./entities.csv -ColorProperty sub'
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $result.CompletionMatches.CompletionText | Should -Be @('subgroup')
            $line = '$p | Measure-Embedding -Metadata ./entities.csv -LabelProperty '
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $result.CompletionMatches.CompletionText | Sort-Object | Should -Be @('group', 'name', 'popularity', 'subgroup')
        } finally { Pop-Location }
    }
    It 'completes -Entity with the ids of the piped stage object, most popular first, and of an -InputPath artifact' {
        $global:completionProjection = $script:projection
        try {
            $line = '$completionProjection | Get-EntityNeighbor -Entity '
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $top = 0..($script:projection.EntityCount - 1) | Sort-Object { -$script:projection.Popularity[$_] }, { $_ } | Select-Object -First 1
            $result.CompletionMatches[0].CompletionText | Should -Be $script:projection.Entities.GetText($top)
            $result.CompletionMatches.Count | Should -Be 200
        } finally { Remove-Variable completionProjection -Scope Global }
        $path = Join-Path $script:dir 'projection.parquet'
        $script:projection | Export-EmbedArtifact -Path $path
        $line = "Get-EntityNeighbor -InputPath '$path' -Entity 12"
        $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $result.CompletionMatches.CompletionText | Should -Contain '12'
        $result.CompletionMatches.CompletionText | Should -Contain '120'
        $result.CompletionMatches.CompletionText | Where-Object { $_ -notlike '12*' } | Should -BeNullOrEmpty
    }
    It 'completes -Init and the penalties of Invoke-Mde' {
        $line = '$g | Invoke-Mde -Init '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Sort-Object | Should -Be @('Embedding', 'Quadratic', 'Random')
    }
    It 'has no object-typed parameter with a default value' {
        foreach ($command in Get-Command -Module EmbedPS) {
            $type = $command.ImplementingType
            $fresh = [Activator]::CreateInstance($type)
            foreach ($p in $command.Parameters.Values | Where-Object { $_.ParameterType -eq [object] }) {
                $type.GetProperty($p.Name).GetValue($fresh) | Should -BeNullOrEmpty -Because "$($command.Name) -$($p.Name) is an object parameter"
            }
            foreach ($p in $command.Parameters.Values | Where-Object { $_.ParameterType -in [double], [float] }) {
                [double]::IsNaN($type.GetProperty($p.Name).GetValue($fresh)) | Should -BeFalse -Because "$($command.Name) -$($p.Name) must not use NaN for 'unset'"
            }
        }
    }
}

Describe 'Format views' -Tag 'Unit' {
    It 'every format file has views, every view selects a type EmbedPS emits, and every default view fits 80 columns' {
        $objects = @(
            $script:set, $script:cooc, $script:graph, $script:embedding, $script:projection
            ($script:projection | Measure-Embedding -Reference $script:embedding)
            ($script:embedding | ConvertTo-Projection -MinDistance 0.05, 0.5 -Epochs 10 | Measure-Embedding)   # a sweep's table rows
            ($script:projection | Get-EntityNeighbor -Entity 5 -Count 3)
            ($script:graph | Invoke-Mde -MaxIterations 4 -SnapshotEvery 2 -Device Cpu).Snapshots
            ($script:projection | Export-EmbeddingAtlas -Path (Join-Path $script:dir 'atlas') -PassThru)
            $run = [EmbedPS.Core.Pipeline.PipelineRun]@{ Pipeline = 'a-long-pipeline-name'; RunId = '20261128-041202-123'; Status = 'succeeded'; Seconds = 1234.5
                Stages = [Collections.Generic.List[EmbedPS.Core.Pipeline.PipelineStageRecord]]@([EmbedPS.Core.Pipeline.PipelineStageRecord]@{
                    Name = 'projection-1'; Status = 'ran'; Seconds = 12.25; Reason = 'cached artifact fails its SHA-256 check (corrupt)' }) }
            $run
            $run.Stages[0]
        )
        $emitted = @($objects | ForEach-Object { $_.PSObject.TypeNames } | Sort-Object -Unique)
        foreach ($file in Get-ChildItem $env:EMBEDPS_MODULE_PATH -Filter *.Format.ps1xml) {
            [xml] $xml = Get-Content $file.FullName -Raw
            $views = @($xml.Configuration.ViewDefinitions.View)
            $views.Count | Should -BeGreaterThan 0 -Because "$($file.Name) must not be empty"
            foreach ($view in $views) { $emitted | Should -Contain $view.ViewSelectedBy.TypeName -Because "view '$($view.Name)' in $($file.Name)" }
        }
        foreach ($object in $objects) {
            $text = $object | Out-String -Width 300
            $widest = ($text -split "`r?`n" | ForEach-Object { $_.TrimEnd().Length } | Measure-Object -Maximum).Maximum
            $widest | Should -BeLessOrEqual 80 -Because "the default view of $($object.GetType().Name) must fit an 80-column console:`n$text"
        }
    }
}
