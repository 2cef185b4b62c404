#Requires -Version 7.6
<#
.SYNOPSIS
    Builds, tests, demonstrates and benchmarks EmbedPS.
.DESCRIPTION
    Build    publishes the module into ./EmbedPS (portable: cmdlets, dependencies/ for the module's own load context,
             runtimes/<rid>/native for Windows, Linux and macOS; manifest, format files, help). The atlas viewer
             (src/EmbedPS.Viewer, TypeScript) is bundled by esbuild through npm and embedded in EmbedPS.Core.dll.
    Package  builds, then writes ./out/package/EmbedPS.<version>.nupkg for Install-PSResource.
    Test     builds and packages, then runs the xunit suite (atlas tests in headless Chromium included) and the Pester
             suite; ends with one line "N passed, N failed". Installs Chromium when missing (Debian, as root).
             With -Fast: the unit tier only (xunit [Trait("Category", "Unit")], Pester tag Unit), after a build without the
             package; it says how many tests it skipped and in which tier (Integration, Browser, Slow).
    Demo   builds, then runs the main job on the built-in sample; everything lands in ./out/demo.
    Bench  runs the benchmark harness (Release) and writes ./bench-results/results.md.
           With -Peers: EmbedPS next to SciPy, PyMDE, umap-learn and scikit-learn instead, each side its own process on
           the same input file, 2 threads each; writes ./bench-results/peers.md. Prepares the real datasets (Debian
           dependencies, WordNet glosses) under ./bench-data first. The peers: Debian python3-scipy, python3-sklearn,
           python3-torch, python3-numba, python3-pynndescent, python3-tqdm, python3-pandas (installed when run as root
           on Debian) and the source trees of PyMDE and umap-learn 0.5.7, unpacked (not built) as pymde/ and umap/ in
           $env:EMBEDPS_PEERS_SRC (default /work/peers-src). Python: $env:EMBEDPS_PEERS_PYTHON (default /usr/bin/python3).
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test -Fast
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Bench -Peers -BenchFilter umap/
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Bench: which cases (substring match on the case name); default all.
    [string[]] $BenchFilter = @(),
    # Bench: the side-by-side rows against the real peers (bench-results/peers.md) instead of the in-process table.
    [switch] $Peers,
    # Test: run only xunit (Core) or only Pester.
    [ValidateSet('All', 'Xunit', 'Pester')]
    [string] $Suite = 'All',
    # Test: the unit tier only (no package, no browser, no integration or slow tests); reports what it skipped.
    [switch] $Fast
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$root = $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'
$env:POWERSHELL_UPDATECHECK = 'Off'
$env:NO_COLOR = '1'

function Invoke-Native([string] $what, [scriptblock] $command) {
    & $command
    if ($LASTEXITCODE -ne 0) { throw "$what failed (exit code $LASTEXITCODE)." }
}

function Install-DebianPackage([string[]] $Packages, [string] $Why) {
    if (-not $IsLinux) { return $false }
    if ((Test-Path /usr/bin/apt-get) -and ((id -u) -eq '0')) {
        Write-Host "Installing $($Packages -join ', ') ($Why)..."
        apt-get -o DPkg::Lock::Timeout=600 update -qq | Out-Null
        apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends @Packages | Out-Null
        return $LASTEXITCODE -eq 0
    }
    return $false
}

function Test-Prerequisite([switch] $Browser) {
    # Fonts: the module ships its own font for previews, but headless Chromium (atlas tests) needs system fonts too.
    $hasFonts = (Test-Path /usr/share/fonts) -and @(Get-ChildItem /usr/share/fonts -Recurse -Include *.ttf, *.otf -ErrorAction SilentlyContinue).Count -gt 0
    if (-not $hasFonts -and $IsLinux -and -not (Install-DebianPackage @('fonts-dejavu-core') 'no system fonts found')) {
        Write-Warning 'No system fonts found. Install one, e.g. "sudo apt-get install fonts-dejavu-core".'
    }
    # Node.js and npm build the atlas viewer (TypeScript bundled by esbuild); users of the built module need neither.
    if (-not (Get-Command npm -ErrorAction SilentlyContinue) -and -not (Install-DebianPackage @('nodejs', 'npm') 'the atlas viewer is built with npm')) {
        throw 'Building EmbedPS needs Node.js 18+ and npm (they bundle the atlas viewer). Install them, e.g. "sudo apt-get install nodejs npm".'
    }
    # The atlas tests drive a real Chromium headless (WebGL2 through SwiftShader).
    if ($Browser -and -not $env:EMBEDPS_CHROMIUM -and -not (Get-Command chromium, chromium-browser, google-chrome -ErrorAction SilentlyContinue)) {
        if (-not (Install-DebianPackage @('chromium') 'the atlas tests run in headless Chromium')) {
            Write-Warning 'Chromium not found: the atlas browser tests will fail. Install it ("sudo apt-get install chromium") or set EMBEDPS_CHROMIUM to a Chromium or Chrome executable.'
        }
    }
}

# The module layout (one folder serves every platform):
#   EmbedPS.psd1, EmbedPS.dll (the cmdlets), format files, en-US/ help
#   dependencies/            EmbedPS.Core.dll and the libraries it uses, loaded into the module's own AssemblyLoadContext
#   runtimes/<rid>/native/   Skia and HarfBuzz for win-x64, linux-x64, linux-arm64 and osx (one universal x64 + arm64 library)
$script:NativeRuntimes = @('win-x64', 'linux-x64', 'linux-arm64', 'osx')

function Invoke-Build {
    $module = Join-Path $root 'EmbedPS'
    $stage = Join-Path $root 'out/publish'
    foreach ($dir in $module, $stage) { if (Test-Path $dir) { Remove-Item $dir -Recurse -Force } }
    # Portable (RID-less) publish: managed assemblies once, natives for every runtime under runtimes/.
    Invoke-Native 'dotnet publish' { dotnet publish (Join-Path $root 'src/EmbedPS/EmbedPS.csproj') -c $Configuration --self-contained false -o $stage --nologo -v quiet -p:GenerateDocumentationFile=true }
    # Get-Help for a binary module comes from MAML generated from the cmdlets' XML doc comments (read from the flat stage,
    # where the cmdlet assembly finds its dependencies beside it).
    & (Join-Path $root 'tools/New-CmdletHelp.ps1') -AssemblyPath (Join-Path $stage 'EmbedPS.dll') -OutputPath (Join-Path $module 'en-US/EmbedPS.dll-Help.xml')
    $dependencies = New-Item -ItemType Directory (Join-Path $module 'dependencies') -Force
    Copy-Item (Join-Path $stage 'EmbedPS.dll') $module
    Get-ChildItem $stage -Filter *.dll | Where-Object Name -ne 'EmbedPS.dll' | Copy-Item -Destination $dependencies
    foreach ($rid in $script:NativeRuntimes) {
        $native = Join-Path $stage "runtimes/$rid/native"
        if (-not (Test-Path $native)) { throw "The publish output has no natives for $rid ($native)." }
        $target = New-Item -ItemType Directory (Join-Path $module "runtimes/$rid/native") -Force
        Copy-Item (Join-Path $native '*') $target
    }
    Copy-Item (Join-Path $stage 'Fonts') $module -Recurse
    Copy-Item (Join-Path $root 'EmbedPS.psd1'), (Join-Path $root 'EmbedPS.Loader.ps1'), (Join-Path $root 'EmbedPS.Types.ps1xml'), (Join-Path $root 'EmbedPS.Format.ps1xml'), (Join-Path $root 'LICENSE') $module
    Copy-Item (Join-Path $root 'formats/*.Format.ps1xml') $module
    Get-ChildItem (Join-Path $root 'src/EmbedPS/Assets') -ErrorAction SilentlyContinue | Copy-Item -Destination $module -Recurse -Force
    Copy-Item (Join-Path $root 'docs/about_EmbedPS.help.txt') (Join-Path $module 'en-US') -ErrorAction SilentlyContinue
    $null = Test-ModuleManifest (Join-Path $module 'EmbedPS.psd1')
    Write-Host "Built module: $module"
}

# Package: the built module as a .nupkg that Install-PSResource installs from a folder repository (out/package).
function Invoke-Package {
    Invoke-Build
    $packages = Join-Path $root 'out/package'
    if (Test-Path $packages) { Remove-Item $packages -Recurse -Force }
    New-Item -ItemType Directory $packages -Force | Out-Null
    # Compress-PSResource (PSResourceGet, shipped with PowerShell 7.4+) writes the same package Publish-PSResource would
    # push, without registering a repository.
    Import-Module Microsoft.PowerShell.PSResourceGet -ErrorAction Stop
    Compress-PSResource -Path (Join-Path $root 'EmbedPS') -DestinationPath $packages
    $nupkg = Get-ChildItem $packages -Filter '*.nupkg' | Select-Object -First 1
    if (-not $nupkg) { throw "Compress-PSResource wrote no package into $packages." }
    Write-Host ("Package: {0} ({1:N1} MB)" -f $nupkg.FullName, ($nupkg.Length / 1MB))
}

function Get-TrxCount([string] $trx) {
    [xml] $doc = Get-Content $trx -Raw
    $c = $doc.TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int]$c.passed; Failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted; Total = [int]$c.total }
}

# The xunit tests' tiers, read from their [Trait("Category", "…")] attributes: one per class, and Slow on a few methods of
# Unit classes (tests/EmbedPS.Tests/Architecture/TestTierTests.cs checks this). Keys: Namespace.Class and Namespace.Class.Method.
function Get-XunitTier {
    $tiers = @{}
    $classPattern = '\[Trait\("Category",\s*"(\w+)"\)\](?:\s*\[[^\]]*\])*\s*(?:public|internal)?\s*(?:sealed\s+|static\s+|partial\s+)*class\s+(\w+)'
    $methodPattern = '\[Trait\("Category",\s*"(\w+)"\)\](?:\s*\[[^\]]*\])*\s*public\s+(?:async\s+)?[\w<>]+\s+(\w+)\s*\('
    foreach ($file in Get-ChildItem (Join-Path $root 'tests/EmbedPS.Tests') -Recurse -Filter *.cs | Where-Object FullName -notmatch '[\\/](bin|obj)[\\/]') {
        $text = Get-Content $file.FullName -Raw
        $namespace = if ($text -match '(?m)^namespace\s+([\w.]+)') { $Matches[1] } else { '' }
        $classes = [regex]::Matches($text, '(?m)^(?:public |internal )?(?:sealed |static |partial )*class\s+(\w+)')
        foreach ($m in [regex]::Matches($text, $classPattern)) { $tiers["$namespace.$($m.Groups[2].Value)"] = $m.Groups[1].Value }
        foreach ($m in [regex]::Matches($text, $methodPattern)) {
            $class = $classes | Where-Object Index -lt $m.Index | Select-Object -Last 1
            if ($class) { $tiers["$namespace.$($class.Groups[1].Value).$($m.Groups[2].Value)"] = $m.Groups[1].Value }
        }
    }
    $tiers
}

function Invoke-Test {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    if ($Fast) {
        Test-Prerequisite
        Invoke-Build     # the module folder the Pester tests import; no package (Package.Tests.ps1 is not in the fast tier)
    } else {
        Test-Prerequisite -Browser
        Invoke-Package   # builds ./EmbedPS, then the .nupkg that Pester/Package.Tests.ps1 installs
    }
    $buildSeconds = $clock.Elapsed.TotalSeconds
    $results = Join-Path $root 'out/test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory $results -Force | Out-Null
    $passed = 0; $failed = 0; $skipped = @()
    if ($Suite -in 'All', 'Xunit') {
        $project = Join-Path $root 'tests/EmbedPS.Tests/EmbedPS.Tests.csproj'
        $filter = if ($Fast) { @('--filter', 'Category!=Integration&Category!=Browser&Category!=Slow') } else { @() }
        & dotnet test $project -c $Configuration --nologo @filter `
            --logger "trx;LogFileName=xunit.trx" --logger "console;verbosity=normal" --results-directory $results
        $trx = Join-Path $results 'xunit.trx'
        if (Test-Path $trx) {
            $x = Get-TrxCount $trx
            $passed += $x.Passed; $failed += $x.Failed
            Write-Host "xunit: $($x.Passed) passed, $($x.Failed) failed"
            if ($Fast) {
                # Every test the suite has, by tier: the ones outside Unit were skipped. Counted as xunit discovers them: a theory
                # whose data cannot be serialised counts once here, once per row when it runs.
                $tiers = Get-XunitTier
                $listed = & dotnet test $project -c $Configuration --nologo --no-build --list-tests 2>$null |
                    Where-Object { $_ -match '^\s{4}\S' } | ForEach-Object { $_.Trim() }
                $byTier = $listed | ForEach-Object {
                    $method = ($_ -split '\(', 2)[0]
                    $class = $method.Substring(0, $method.LastIndexOf('.'))
                    if ($tiers.ContainsKey($method)) { $tiers[$method] } elseif ($tiers.ContainsKey($class)) { $tiers[$class] } else { 'no tier' }
                } | Group-Object -NoElement
                foreach ($g in $byTier | Where-Object Name -ne 'Unit') { $skipped += "xunit $($g.Name) $($g.Count)" }
            }
        } else {
            Write-Host 'xunit: the test run produced no results (build failure?)'
            $failed += 1
        }
    }
    if ($Suite -in 'All', 'Pester') {
        $summary = Join-Path $results 'pester.json'
        $tag = if ($Fast) { @('-Tag', 'Unit') } else { @() }
        & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $root 'Pester/run.ps1') -ModulePath (Join-Path $root 'EmbedPS') -SummaryPath $summary @tag
        if (Test-Path $summary) {
            $p = Get-Content $summary -Raw | ConvertFrom-Json
            $passed += $p.Passed; $failed += $p.Failed
            Write-Host "Pester: $($p.Passed) passed, $($p.Failed) failed"
            foreach ($s in @($p.Skipped)) { if ($s) { $skipped += "Pester $($s.Tier) $($s.Count)" } }
        } else {
            Write-Host 'Pester: the run produced no summary'
            $failed += 1
        }
    }
    if ($Fast) {
        $total = ($skipped | ForEach-Object { [int]($_ -split ' ')[-1] } | Measure-Object -Sum).Sum
        $detail = ($skipped | ForEach-Object { $w = $_ -split ' '; "$($w[0]) $($w[1]): $($w[2])" }) -join ', '
        Write-Host "Fast tier: skipped $([int]$total) tests outside the unit tier ($detail); build.ps1 -Task Test runs them all."
    }
    Write-Host ("Build {0:N0} s, tests {1:N0} s." -f $buildSeconds, ($clock.Elapsed.TotalSeconds - $buildSeconds))
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Test-Prerequisite
    Invoke-Build
    & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $root 'demo/Invoke-Demo.ps1') -ModulePath (Join-Path $root 'EmbedPS') -OutputPath (Join-Path $root 'out/demo')
    if ($LASTEXITCODE -ne 0) { throw "The demo failed (exit code $LASTEXITCODE)." }
}

function Invoke-Bench {
    if ($Peers) { Invoke-PeerBench; return }
    Test-Prerequisite -Browser
    $out = Join-Path $root 'bench-results'
    New-Item -ItemType Directory $out -Force | Out-Null
    $benchArgs = @('--output', (Join-Path $out 'results.md'))
    foreach ($f in $BenchFilter) { $benchArgs += @('--filter', $f) }
    Invoke-Native 'benchmark' { dotnet run -c Release --project (Join-Path $root 'bench/EmbedPS.Bench/EmbedPS.Bench.csproj') -- @benchArgs }
}

function Invoke-PeerBench {
    Test-Prerequisite
    Invoke-Build
    $python = if ($env:EMBEDPS_PEERS_PYTHON) { $env:EMBEDPS_PEERS_PYTHON } else { '/usr/bin/python3' }
    $peersSrc = if ($env:EMBEDPS_PEERS_SRC) { $env:EMBEDPS_PEERS_SRC } else { '/work/peers-src' }
    $env:EMBEDPS_PEERS_SRC = $peersSrc
    $probe = 'import scipy.sparse, sklearn.manifold, pandas, torch, torchvision, numba, pynndescent, tqdm'
    $hasPython = Test-Path $python
    if ($hasPython) { & $python -c $probe 2>$null }
    if (-not $hasPython -or $LASTEXITCODE -ne 0) {
        $packages = @('python3', 'python3-scipy', 'python3-sklearn', 'python3-torch', 'python3-torchvision', 'python3-numba', 'python3-pynndescent', 'python3-tqdm', 'python3-pandas')
        if (Install-DebianPackage $packages 'the peer benchmark runs SciPy, scikit-learn, PyMDE and umap-learn') { $hasPython = Test-Path $python }
        else { Write-Warning "The peers' Python packages are missing: apt-get install $($packages -join ' '). Their rows will say so." }
    }
    foreach ($tree in 'pymde', 'umap') {
        if (-not (Test-Path (Join-Path $peersSrc "$tree/$tree/__init__.py"))) {
            Write-Warning "$peersSrc/$tree is missing: unpack the source tree of $(if ($tree -eq 'pymde') { 'PyMDE (github.com/cvxgrp/pymde)' } else { 'umap-learn 0.5.7 (github.com/lmcinnes/umap, tag release-0.5.7)' }) there, or set EMBEDPS_PEERS_SRC. Its rows will say so."
        }
    }
    # The real datasets, written once: collection,entity pairs of entities in at least N collections, and a label per entity.
    $data = Join-Path $root 'bench-data'
    $prepare = Join-Path $root 'bench/peers/prepare_dataset.py'
    if ($hasPython -and -not (Test-Path (Join-Path $data 'debian/pairs.csv')) -and (Get-Command apt-cache -ErrorAction SilentlyContinue)) {
        $raw = Join-Path $data 'raw/debian'
        & (Join-Path $root 'demo/Export-DebianDependencies.ps1') -OutputPath $raw | Out-Host
        Invoke-Native 'preparing the Debian dataset' { & $python $prepare (Join-Path $raw 'dependencies.csv') (Join-Path $raw 'packages.csv') section (Join-Path $data 'debian') --min-collections 5 }
    }
    if ($hasPython -and -not (Test-Path (Join-Path $data 'wordnet/pairs.csv')) -and (Test-Path /usr/share/wordnet/data.noun)) {
        $raw = Join-Path $data 'raw/wordnet'
        & (Join-Path $root 'bench/peers/Export-WordNetGlosses.ps1') -OutputPath $raw | Out-Host
        Invoke-Native 'preparing the WordNet dataset' { & $python $prepare (Join-Path $raw 'glosses.csv') (Join-Path $raw 'words.csv') lexname (Join-Path $data 'wordnet') --min-collections 8 }
    }
    $out = Join-Path $root 'bench-results'
    New-Item -ItemType Directory $out -Force | Out-Null
    $benchArgs = @('--peers', '--output', (Join-Path $out 'peers.md'), '--module', (Join-Path $root 'EmbedPS'), '--pwsh', (Get-Process -Id $PID).Path)
    foreach ($f in $BenchFilter) { $benchArgs += @('--filter', $f) }
    Push-Location $root
    try { Invoke-Native 'peer benchmark' { dotnet run -c Release --project (Join-Path $root 'bench/EmbedPS.Bench/EmbedPS.Bench.csproj') -- @benchArgs } }
    finally { Pop-Location }
}

Push-Location $root
try {
    switch ($Task) {
        'Build' { Test-Prerequisite; Invoke-Build }
        'Test' { Invoke-Test }
        'Demo' { Invoke-Demo }
        'Bench' { Invoke-Bench }
        'Package' { Invoke-Package }
    }
} finally {
    Pop-Location
}
