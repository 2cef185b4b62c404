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
