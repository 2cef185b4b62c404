# Debian's package index as entity collections: one collection per package, its entities the packages it depends on
# (Depends, Pre-Depends, Recommends; the first alternative of each clause, without version or architecture qualifiers).
# Writes <OutputPath>/dependencies.csv (package,dependency) and <OutputPath>/packages.csv (package,section,priority,
# description,size_kb,url; section = the archive section without its component, e.g. "python", "libs", "perl").
# Used by demo/Invoke-DebianAtlas.ps1 and by the peer benchmark (build.ps1 -Task Bench -Peers).
#   dotnet pwsh demo/Export-DebianDependencies.ps1 -OutputPath ./out/debian
param(
    [Parameter(Mandatory)] [string] $OutputPath
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Command apt-cache -ErrorAction SilentlyContinue)) { throw 'apt-cache not found: the Debian dependency dataset needs a Debian or Ubuntu machine.' }
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path

$pairs = [Collections.Generic.List[string]]::new()
$meta = @{}
$package = $null; $fields = @{}
function Save-Package {
    if (-not $package) { return }
    # apt-cache dumpavail lists a package once per available version; keep the first (the candidate).
    if ($meta.ContainsKey($package)) { return }
    $meta[$package] = $fields
    $seen = [Collections.Generic.HashSet[string]]::new()
    foreach ($key in 'Depends', 'Pre-Depends', 'Recommends') {
        if (-not $fields[$key]) { continue }
        foreach ($clause in $fields[$key] -split ',') {
            # "a (>= 1) | b" → the first alternative, without version or architecture qualifiers.
            $name = ($clause -split '\|')[0].Trim() -replace '\s*\(.*$', '' -replace ':.*$', ''
            if ($name -and $name -ne $package -and $seen.Add($name)) { $pairs.Add("""$package"",""$name""") }
        }
    }
}
foreach ($line in (apt-cache dumpavail)) {
    if ($line -eq '') { Save-Package; $package = $null; $fields = @{}; continue }
    if ($line -match '^(Package|Section|Priority|Homepage|Description|Installed-Size|Depends|Pre-Depends|Recommends): (.*)$') {
        if ($Matches[1] -eq 'Package') { $package = $Matches[2] } else { $fields[$Matches[1]] = $Matches[2] }
    }
}
Save-Package
if ($pairs.Count -eq 0) { throw 'apt-cache dumpavail listed no dependencies: run apt-get update first (the package lists are empty).' }
Set-Content (Join-Path $OutputPath 'dependencies.csv') -Value (@('package,dependency') + $pairs) -Encoding utf8NoBOM

$meta.GetEnumerator() | Sort-Object Key | ForEach-Object {
    $section = if ($_.Value['Section']) { ($_.Value['Section'] -split '/')[-1] } else { '' }
    [pscustomobject]@{
        package     = $_.Key
        section     = $section
        priority    = $_.Value['Priority']
        description = $_.Value['Description']
        size_kb     = $_.Value['Installed-Size']
        url         = $_.Value['Homepage']
    }
} | Export-Csv (Join-Path $OutputPath 'packages.csv') -NoTypeInformation -Encoding utf8NoBOM
[pscustomobject]@{ Packages = $meta.Count; Pairs = $pairs.Count; Path = $OutputPath }
