BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-atlas-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null
    # The sample's pipeline at Tiny size: collections → co-occurrence → neighbours → MDE, then two layouts.
    $script:metadataPath = Join-Path $script:dir 'entities.csv'
    $script:embedding = New-SyntheticCollection -Size Tiny -Seed 3 -MetadataPath $script:metadataPath |
        New-CooccurrenceMatrix | Invoke-NeighborPreservation -NeighborCount 10 -Seed 3 -WarningAction SilentlyContinue | Invoke-Mde -Dimension 3 -Seed 3 -MaxIterations 150
    $script:umap = $script:embedding | ConvertTo-Projection -Method Umap -Seed 3
    $script:pca = $script:embedding | ConvertTo-Projection -Method Pca
    function Read-AtlasMeta([string] $Folder) {
        $text = Get-Content (Join-Path $Folder 'data/meta.js') -Raw
        $text.Substring('EmbedAtlasData.put("meta",'.Length).TrimEnd().TrimEnd(';').TrimEnd(')') | ConvertFrom-Json
    }
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Export-EmbeddingAtlas' -Tag 'Unit' {
    It 'declares its output and documents itself' {
        (Get-Command Export-EmbeddingAtlas).OutputType.Type | Should -Contain ([EmbedPS.Core.Atlas.AtlasExport])
        (Get-Command Export-EmbeddingAtlas).Parameters.ContainsKey('WhatIf') | Should -BeTrue
        @((Get-Help Export-EmbeddingAtlas -Full).Examples.Example).Count | Should -BeGreaterOrEqual 2
    }
    It 'writes a static site from piped layouts, the embedding and Import-Csv objects' {
        $path = Join-Path $script:dir 'atlas'
        $result = $script:umap, $script:pca | Export-EmbeddingAtlas -Path $path -Embedding $script:embedding -Metadata (Import-Csv $script:metadataPath) -Title 'Tiny' -PassThru
        $result | Should -BeOfType ([EmbedPS.Core.Atlas.AtlasExport])
        $result.PointCount | Should -Be $script:umap.EntityCount
        $result.Layouts | Should -Be @('UMAP', 'PCA')
        $result.ColorProperty | Should -Be 'group'
        $result.LabelProperty | Should -Be 'name'
        $result.Galaxy | Should -BeTrue
        foreach ($file in 'index.html', 'viewer.js', 'style.css', 'preview.png', 'data/meta.js', 'data/ids.js', 'data/layout-0.js', 'data/layout-1.js', 'data/neighbors-0.js', 'data/search-text.js', 'data/galaxy.js') {
            Join-Path $path $file | Should -Exist
        }
        $meta = Read-AtlasMeta $path
        $meta.count | Should -Be $script:umap.EntityCount
        $meta.title | Should -Be 'Tiny'
        ($meta.fields | Where-Object name -EQ 'group').kind | Should -Be 'category'
        ($meta.fields | Where-Object name -EQ 'popularity').kind | Should -Be 'number'
        ($result | Format-List | Out-String) | Should -Match 'Points\s+:\s+400'
    }
    It 'reads layouts from artifact files piped by Get-ChildItem and metadata from a path' {
        $umapFile = Join-Path $script:dir 'umap.parquet'
        $pcaFile = Join-Path $script:dir 'pca.parquet'
        $script:umap | Export-EmbedArtifact -Path $umapFile
        $script:pca | Export-EmbedArtifact -Path $pcaFile
        $path = Join-Path $script:dir 'from-files'
        $result = Get-Item $umapFile, $pcaFile | Export-EmbeddingAtlas -Path $path -Metadata $script:metadataPath -LayoutName 'map', 'linear' -ColorProperty subgroup -PassThru
        $result.Layouts | Should -Be @('map', 'linear')
        $result.ColorProperty | Should -Be 'subgroup'
        $result.Galaxy | Should -BeFalse
        (Read-AtlasMeta $path).provenance.inputs[0].detail | Should -Match 'umap\.parquet'
    }
    It 'names the available columns when a property is unknown, and writes nothing' {
        $path = Join-Path $script:dir 'unknown'
        { $script:umap | Export-EmbeddingAtlas -Path $path -Metadata $script:metadataPath -ColorProperty genre -ErrorAction Stop } |
            Should -Throw -ExpectedMessage "*-ColorProperty 'genre' is not a column*Available columns: name, group, subgroup, popularity*"
        $path | Should -Not -Exist
    }
    It 'writes nothing under -WhatIf and refuses an existing folder under -NoClobber' {
        $path = Join-Path $script:dir 'whatif'
        $script:umap | Export-EmbeddingAtlas -Path $path -WhatIf
        $path | Should -Not -Exist
        $script:umap | Export-EmbeddingAtlas -Path $path
        { $script:umap | Export-EmbeddingAtlas -Path $path -NoClobber -ErrorAction Stop } | Should -Throw -ErrorId 'NoClobber*'
    }
    It 'never replaces a folder that is not an atlas' {
        $path = Join-Path $script:dir 'documents'
        New-Item -ItemType Directory $path | Out-Null
        Set-Content (Join-Path $path 'notes.txt') 'keep me'
        { $script:umap | Export-EmbeddingAtlas -Path $path -ErrorAction Stop } | Should -Throw -ExpectedMessage '*is not empty and holds no EmbedPS atlas*'
        Get-Content (Join-Path $path 'notes.txt') | Should -Be 'keep me'
    }
}
