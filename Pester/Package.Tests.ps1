# The module as people install it: the .nupkg of build.ps1 -Task Package, installed with Install-PSResource from a folder
# repository into an empty module path, imported by name in a fresh pwsh; and its dependencies isolated from other modules'.
BeforeAll {
    $script:repoRoot = Split-Path $PSScriptRoot -Parent
    $script:packageDir = if ($env:EMBEDPS_PACKAGE_PATH) { $env:EMBEDPS_PACKAGE_PATH } else { Join-Path $script:repoRoot 'out/package' }
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-pkg-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $script:dir | Out-Null

    # A fresh pwsh (the one running these tests), with the given environment; returns its output lines, throws on failure.
    function Invoke-FreshPwsh([string] $Script, [hashtable] $Environment = @{}, [string] $WorkingDirectory = $script:dir) {
        $exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
        $scriptPath = Join-Path $script:dir ("child-" + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.ps1')
        Set-Content -LiteralPath $scriptPath -Value "`$ErrorActionPreference = 'Stop'`n$Script" -Encoding utf8NoBOM
        $start = [Diagnostics.ProcessStartInfo]::new()
        if (Test-Path $exe) { $start.FileName = $exe } else { $start.FileName = 'dotnet'; $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', $scriptPath) { $start.ArgumentList.Add($a) }
        $start.WorkingDirectory = $WorkingDirectory
        $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true; $start.UseShellExecute = $false
        $start.Environment['NO_COLOR'] = '1'
        $start.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
        $start.Environment['POWERSHELL_UPDATECHECK'] = 'Off'
        foreach ($key in $Environment.Keys) { $start.Environment[$key] = $Environment[$key] }
        $process = [Diagnostics.Process]::Start($start)
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit()
        $text = $stdout + $stderr.Result
        if ($process.ExitCode -ne 0) { throw "The child pwsh failed (exit code $($process.ExitCode)):`n$text" }
        $text -split "`r?`n"
    }

    # An empty home: PSResourceGet's repository list and the CurrentUser module path live under it (HOME/.local/share on
    # Linux and macOS; PSResourceGet puts CurrentUser modules under HOME, not XDG_DATA_HOME), so nothing outside is changed.
    $script:userData = Join-Path $script:dir 'home'
    New-Item -ItemType Directory $script:userData | Out-Null
    $script:isolated = @{ HOME = $script:userData; XDG_DATA_HOME = (Join-Path $script:userData '.local/share'); XDG_CONFIG_HOME = (Join-Path $script:userData '.config')
        XDG_CACHE_HOME = (Join-Path $script:userData '.cache'); LOCALAPPDATA = $script:userData; PSModulePath = '' }
}
AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'The EmbedPS package' -Tag 'Integration' {
    It 'is a .nupkg with the manifest data and the natives of every platform' {
        $nupkg = @(Get-ChildItem $script:packageDir -Filter 'EmbedPS.*.nupkg' -ErrorAction SilentlyContinue)
        $nupkg.Count | Should -Be 1 -Because "build.ps1 -Task Package writes one package into $script:packageDir (build.ps1 -Task Test runs it)"
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($nupkg[0].FullName)
        try {
            $entries = $zip.Entries.FullName
            foreach ($native in 'runtimes/win-x64/native/libSkiaSharp.dll', 'runtimes/linux-x64/native/libSkiaSharp.so', 'runtimes/linux-arm64/native/libSkiaSharp.so',
                'runtimes/osx/native/libSkiaSharp.dylib', 'runtimes/win-x64/native/libHarfBuzzSharp.dll', 'runtimes/linux-x64/native/libHarfBuzzSharp.so',
                'runtimes/linux-arm64/native/libHarfBuzzSharp.so', 'runtimes/osx/native/libHarfBuzzSharp.dylib') {
                $entries | Should -Contain $native
            }
            foreach ($managed in 'EmbedPS.dll', 'EmbedPS.psd1', 'EmbedPS.Loader.ps1', 'en-US/EmbedPS.dll-Help.xml', 'dependencies/EmbedPS.Core.dll',
                'dependencies/Parquet.dll', 'dependencies/SkiaSharp.dll', 'dependencies/ScottPlot.dll', 'dependencies/MathNet.Numerics.dll', 'dependencies/ILGPU.dll') {
                $entries | Should -Contain $managed
            }
            $nuspec = $zip.Entries | Where-Object FullName -Like '*.nuspec'
            $reader = [IO.StreamReader]::new($nuspec.Open())
            [xml] $spec = $reader.ReadToEnd(); $reader.Dispose()
        } finally { $zip.Dispose() }
        $manifest = Import-PowerShellDataFile (Join-Path $script:repoRoot 'EmbedPS.psd1')
        $spec.package.metadata.version | Should -Be $manifest.ModuleVersion
        $spec.package.metadata.projectUrl | Should -Be $manifest.PrivateData.PSData.ProjectUri
        $spec.package.metadata.tags | Should -BeLike '*umap*'
        $spec.package.metadata.releaseNotes | Should -BeLike '*runtimes/<rid>/native*'
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.PowerShellVersion | Should -Not -BeNullOrEmpty
        $manifest.PrivateData.PSData.LicenseUri | Should -Not -BeNullOrEmpty
    }

    It 'installs with Install-PSResource from a folder repository into an empty module path, imports by name in a new pwsh and runs the README tour' {
        $repository = Join-Path $script:dir 'repository'
        New-Item -ItemType Directory $repository | Out-Null
        Copy-Item (Join-Path $script:packageDir 'EmbedPS.*.nupkg') $repository
        $install = Invoke-FreshPwsh -Environment $script:isolated -Script @"
Register-PSResourceRepository -Name EmbedPSLocal -Uri '$repository' -Trusted
Install-PSResource -Name EmbedPS -Repository EmbedPSLocal -Scope CurrentUser -TrustRepository -Quiet
`$installed = Get-InstalledPSResource -Name EmbedPS
"INSTALLED `$(`$installed.Version) `$(`$installed.InstalledLocation)"
"@
        $line = $install | Where-Object { $_ -like 'INSTALLED *' }
        $line | Should -Not -BeNullOrEmpty -Because ($install -join "`n")
        $line | Should -BeLike "INSTALLED * $script:userData*"

        # The tour exactly as README.md prints it, in an empty folder, with the module found by name only.
        $readme = Get-Content (Join-Path $script:repoRoot 'README.md') -Raw
        $tour = [regex]::Match($readme, '## A tour[\s\S]*?```powershell\r?\n([\s\S]*?)```').Groups[1].Value
        $tour | Should -Not -BeNullOrEmpty
        $work = Join-Path $script:dir 'tour'
        New-Item -ItemType Directory $work | Out-Null
        $output = Invoke-FreshPwsh -Environment $script:isolated -WorkingDirectory $work -Script @"
`$module = Get-Module -ListAvailable EmbedPS
"FOUND `$(`$module.ModuleBase)"
$tour
`$loaded = Get-Module EmbedPS
"LOADED `$(`$loaded.ModuleBase)"
"@
        ($output | Where-Object { $_ -like 'FOUND *' }) | Should -BeLike "FOUND $script:userData*"
        ($output | Where-Object { $_ -like 'LOADED *' }) | Should -BeLike "LOADED $script:userData*"
        foreach ($file in 'plays.parquet', 'maps.csv', 'cooc.parquet', 'embedding.parquet', 'projection.parquet', 'map.png') {
            Test-Path (Join-Path $work $file) | Should -BeTrue -Because "the tour writes $file ($($output -join "`n"))"
        }
        (Get-Item (Join-Path $work 'map.png')).Length | Should -BeGreaterThan 10000
        # The tour prints the neighbours and the quality report.
        ($output -join "`n") | Should -Match 'Trustworthiness|trustworthiness'
    }

    It 'keeps its dependencies apart from another module''s version of them (its own AssemblyLoadContext)' {
        $nuget = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
        $older = Join-Path $nuget 'mathnet.numerics/4.15.0/lib/netstandard2.0/MathNet.Numerics.dll'
        Test-Path $older | Should -BeTrue -Because 'tools/pester.csproj downloads MathNet.Numerics 4.15.0 for this test'
        $module = Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1'
        $output = Invoke-FreshPwsh -Script @"
# Another module got there first with MathNet.Numerics 4.15 in PowerShell's shared context.
Add-Type -LiteralPath '$older'
"OTHER `$([MathNet.Numerics.LinearAlgebra.Matrix[double]]::Build.DenseIdentity(3).Trace())"
# The conflict is real: EmbedPS's MathNet 5.0 cannot join the shared context now.
try { Add-Type -LiteralPath '$(Join-Path $env:EMBEDPS_MODULE_PATH 'dependencies/MathNet.Numerics.dll')'; 'SHARED-LOAD-WORKED' } catch { 'SHARED-LOAD-FAILED' }
Import-Module '$module'
# The spectral start (Invoke-Mde's default) runs on MathNet; previews on SkiaSharp; artifacts on Parquet.Net.
`$e = New-SyntheticCollection -Size Tiny -Seed 3 | New-CooccurrenceMatrix | Invoke-NeighborPreservation -Seed 1 -WarningAction SilentlyContinue | Invoke-Mde -MaxIterations 30 -Device Cpu -OutFile e.parquet
`$e | Export-EmbeddingPreview -Path e.png
"EMBEDDED `$(`$e.EntityCount) `$(`$e.Provenance.Parameters['Init'])"
foreach (`$a in [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'MathNet.Numerics' }) {
    "MATHNET `$(`$a.GetName().Version.Major) `$([Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$a).Name)"
}
# ... and the other module still works with its own version.
"OTHER-AFTER `$([MathNet.Numerics.LinearAlgebra.Matrix[double]]::Build.DenseIdentity(4).Trace()) `$([MathNet.Numerics.LinearAlgebra.Matrix[double]].Assembly.GetName().Version.Major)"
"@
        $output | Should -Contain 'OTHER 3'
        $output | Should -Contain 'SHARED-LOAD-FAILED'
        ($output | Where-Object { $_ -like 'EMBEDDED *' }) | Should -Match '^EMBEDDED [1-9]\d* Quadratic$'
        $output | Should -Contain 'MATHNET 4 Default'
        $output | Should -Contain 'MATHNET 5 EmbedPS'
        $output | Should -Contain 'OTHER-AFTER 4 4'
        Test-Path (Join-Path $script:dir 'e.png') | Should -BeTrue
    }
}
