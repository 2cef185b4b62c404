BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-preview-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null
    # Reads a PNG's width and height from its IHDR chunk (bytes 16–23, big-endian).
    function Get-PngSize([string] $Path) {
        $bytes = [IO.File]::ReadAllBytes($Path)
        $be = { param($o) ([int]$bytes[$o] -shl 24) -bor ([int]$bytes[$o + 1] -shl 16) -bor ([int]$bytes[$o + 2] -shl 8) -bor [int]$bytes[$o + 3] }
        [pscustomobject]@{ Signature = [Text.Encoding]::ASCII.GetString($bytes, 1, 3); Width = & $be 16; Height = & $be 20 }
    }
    # A Projection built in-process: four labelled blobs.
    function New-BlobProjection([int] $PerBlob = 100) {
        $n = 4 * $PerBlob
        $x = [float[]]::new($n); $y = [float[]]::new($n); $pop = [int[]]::new($n)
        $random = [Random]::new(7)
        for ($i = 0; $i -lt $n; $i++) {
            $blob = $i % 4
            $x[$i] = (10 * ($blob % 2)) + $random.NextDouble()
            $y[$i] = (10 * [math]::Floor($blob / 2)) + $random.NextDouble()
            $pop[$i] = 1 + $random.Next(1000)
        }
        $ids = [EmbedPS.Core.Common.EntityIds]::FromIntegers([long[]](0..($n - 1)))
        [EmbedPS.Core.Projection.Projection]::new($ids, $pop, $x, $y, 'Umap', $null)
    }
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Export-EmbeddingPreview' -Tag 'Unit' {
    It 'has help with examples and declares its output' {
        $help = Get-Help Export-EmbeddingPreview -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        (Get-Command Export-EmbeddingPreview).OutputType.Type | Should -Contain ([IO.FileInfo])
    }
    It 'draws collections from the pipeline' {
        $path = Join-Path $script:dir 'collections.png'
        New-SyntheticCollection -Size Tiny | Export-EmbeddingPreview -Path $path -Width 640 -Height 480
        $size = Get-PngSize $path
        $size.Signature | Should -Be 'PNG'
        $size.Width | Should -Be 640
        $size.Height | Should -Be 480
    }
    It 'draws a Projection built in-process, coloured by metadata, and returns the file with -PassThru' {
        $projection = New-BlobProjection
        $csv = Join-Path $script:dir 'meta.csv'
        0..($projection.EntityCount - 1) | ForEach-Object { [pscustomobject]@{ entity = $_; name = "item $_"; group = "blob $($_ % 4)" } } |
            Export-Csv $csv -NoTypeInformation
        $path = Join-Path $script:dir 'projection.png'
        $file = $projection | Export-EmbeddingPreview -Path $path -Metadata $csv -ColorProperty group -LabelTop 5 -Dpi 192 -Width 500 -Height 400 -PassThru
        $file | Should -BeOfType [IO.FileInfo]
        $file.FullName | Should -Be $path
        (Get-PngSize $path).Width | Should -Be 1000
    }
    It 'reads an artifact file bound by property name' {
        $artifact = Join-Path $script:dir 'projection.parquet'
        New-BlobProjection | Export-EmbedArtifact -Path $artifact
        $path = Join-Path $script:dir 'from-file.png'
        Get-Item $artifact | Export-EmbeddingPreview -Path $path -Theme Dark
        (Get-PngSize $path).Width | Should -Be 1200
    }
    It '-WhatIf writes nothing' {
        $path = Join-Path $script:dir 'whatif.png'
        New-SyntheticCollection -Size Tiny | Export-EmbeddingPreview -Path $path -WhatIf
        Test-Path $path | Should -BeFalse
    }
    It 'names the choices when the colour property does not exist' {
        $path = Join-Path $script:dir 'bad.png'
        $err = { New-BlobProjection | Export-EmbeddingPreview -Path $path -ColorProperty nosuch -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ColorPropertyNotFound*'
        $err.Exception.Message | Should -BeLike '*popularity*'
        Test-Path $path | Should -BeFalse
    }
}
