BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Module' -Tag 'Unit' {
    It 'exports its cmdlets with help and examples' {
        foreach ($name in 'New-SyntheticCollection', 'Import-EmbedArtifact', 'Export-EmbedArtifact') {
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty
            @($help.Examples.Example).Count | Should -BeGreaterThan 0
        }
    }
    It 'exports exactly the cmdlets the manifest lists, each with synopsis, description and two or more examples' {
        $manifest = Import-PowerShellDataFile (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1')
        $exported = (Get-Command -Module EmbedPS).Name | Sort-Object
        $exported | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        foreach ($name in $exported) {
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Not -BeLike "$name*" -Because "$name needs a synopsis"
            ($help.Description.Text -join ' ').Length | Should -BeGreaterThan 40 -Because "$name needs a description"
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2 -Because "$name needs examples"
            foreach ($parameter in $help.Parameters.Parameter) {
                if ($parameter.Name -in 'WhatIf', 'Confirm') { continue }
                ($parameter.Description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "$name -$($parameter.Name) needs a description"
            }
        }
    }
    It 'declares OutputType on every cmdlet' {
        Get-Command -Module EmbedPS | ForEach-Object { $_.OutputType.Count | Should -BeGreaterThan 0 -Because $_.Name }
    }
}

Describe 'Export-EmbedArtifact / Import-EmbedArtifact' -Tag 'Unit' {
    It 'round-trips a sample through a file' {
        $path = Join-Path $script:dir 'tiny.parquet'
        $set = New-SyntheticCollection -Size Tiny -Seed 3
        $file = $set | Export-EmbedArtifact -Path $path -PassThru
        $file | Should -BeOfType [IO.FileInfo]
        $back = Import-EmbedArtifact -Path $path
        $back | Should -BeOfType ([EmbedPS.Core.Collections.EntityCollectionSet])
        $back.PairCount | Should -Be $set.PairCount
        $back.Provenance.Parameters['Seed'] | Should -Be 3
    }
    It 'binds file objects by property name' {
        $path = Join-Path $script:dir 'bind.parquet'
        New-SyntheticCollection -Size Tiny -OutFile $path | Out-Null
        $back = Get-Item $path | Import-EmbedArtifact
        $back.EntityCount | Should -BeGreaterThan 0
    }
    It '-WhatIf writes nothing' {
        $path = Join-Path $script:dir 'whatif.parquet'
        New-SyntheticCollection -Size Tiny | Export-EmbedArtifact -Path $path -WhatIf
        Test-Path $path | Should -BeFalse
    }
    It '-NoClobber refuses an existing file and leaves it intact' {
        $path = Join-Path $script:dir 'exists.parquet'
        Set-Content $path 'keep me'
        { New-SyntheticCollection -Size Tiny | Export-EmbedArtifact -Path $path -NoClobber -ErrorAction Stop } | Should -Throw -ErrorId 'NoClobber,*'
        Get-Content $path | Should -Be 'keep me'
    }
    It 'names the file when it is not an artifact' {
        $path = Join-Path $script:dir 'plain.parquet'
        Set-Content $path 'not parquet'
        $err = { Import-EmbedArtifact -LiteralPath $path -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ArtifactUnreadable*'
        $err.Exception.Message | Should -BeLike "*$path*"
    }
}
