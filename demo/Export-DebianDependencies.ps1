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
if (-not (Get-Command awk -ErrorAction SilentlyContinue)) { throw 'awk not found: install mawk or gawk (Debian and Ubuntu ship mawk).' }
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path

# The dump (about 50 MB, 1.2 million lines) streams through awk, which every Debian and Ubuntu system has. A PowerShell
# loop over its lines took 15 s; C# compiled by Add-Type 3.5 s before parsing a line (the PowerShell tool package ships
# its C# compiler without precompiled code); awk takes about 1 s, on the other core while apt-cache writes.
# Each paragraph is one available version of a package; apt-cache lists the candidate first, and the first one is kept.
# Field names match case-insensitively; only the first line of a field counts (the short description).
$parse = @'
BEGIN {
    split("package section priority homepage description installed-size depends pre-depends recommends", names, " ")
    for (i in names) wanted[names[i]] = 1
    split("depends pre-depends recommends", relations, " ")
    print "package,dependency" > pairsFile
}
$0 == "" { save(); next }
{
    colon = index($0, ": ")
    if (colon > 1 && (key = tolower(substr($0, 1, colon - 1))) in wanted) {
        if (key == "package") package = substr($0, colon + 2)
        else { field[key] = substr($0, colon + 2); has[key] = 1 }
    }
}
END { save(); print packages + 0, pairs + 0 }
function quote(value) { gsub(/"/, "\"\"", value); return "\"" value "\"" }
# Export-Csv's cells: quoted, an absent field empty.
function cell(key) { return (key in has) ? quote(field[key]) : "" }
function save(   lower, r, n, i, list, parts, section, seen) {
    lower = tolower(package)
    if (package != "" && !(lower in known)) {
        known[lower] = 1; packages++
        section = ""
        if (field["section"] != "") { n = split(field["section"], parts, "/"); section = parts[n] }
        print package > keysFile
        print quote(package) "," quote(section) "," cell("priority") "," cell("description") "," cell("installed-size") "," cell("homepage") > rowsFile
        for (r = 1; r <= 3; r++) {
            list = field[relations[r]]
            if (list == "") continue
            # Per clause, "a:any (>= 1) | b" → "a": the first alternative, trimmed, then without "(…)" and ":…".
            gsub(/\|[^,]*/, "", list); gsub(/[ \t\v\f]*,[ \t\v\f]*/, ",", list); sub(/^[ \t\v\f]+/, "", list); sub(/[ \t\v\f]+$/, "", list)
            gsub(/[ \t\v\f]*\([^,]*/, "", list); gsub(/:[^,]*/, "", list)
            n = split(list, parts, ",")
            for (i = 1; i <= n; i++) {
                if (parts[i] != "" && tolower(parts[i]) != lower && !(parts[i] in seen)) {
                    seen[parts[i]] = 1; pairs++
                    print "\"" package "\",\"" parts[i] "\"" > pairsFile
                }
            }
        }
    }
    package = ""; split("", field); split("", has)
}
'@
$keysFile = [IO.Path]::GetTempFileName()
$rowsFile = [IO.Path]::GetTempFileName()
try {
    $counts = apt-cache dumpavail | awk -v "pairsFile=$(Join-Path $OutputPath 'dependencies.csv')" -v "keysFile=$keysFile" -v "rowsFile=$rowsFile" $parse
    if ($LASTEXITCODE) { throw "apt-cache dumpavail | awk failed (exit code $LASTEXITCODE)." }
    $packages, $pairs = [int[]] ($counts -split ' ')
    if ($pairs -eq 0) { throw 'apt-cache dumpavail listed no dependencies: run apt-get update first (the package lists are empty).' }
    # packages.csv in Sort-Object's order (current culture, ignoring case), as earlier versions of this script wrote it.
    $keys = [IO.File]::ReadAllLines($keysFile)
    $rows = [IO.File]::ReadAllLines($rowsFile)
    [Array]::Sort($keys, $rows, [StringComparer]::Create([cultureinfo]::CurrentCulture, $true))
    $header = '"package","section","priority","description","size_kb","url"'
    [IO.File]::WriteAllLines((Join-Path $OutputPath 'packages.csv'), [Linq.Enumerable]::Prepend[string]($rows, $header))
} finally {
    Remove-Item $keysFile, $rowsFile -ErrorAction SilentlyContinue
}
[pscustomobject]@{ Packages = $packages; Pairs = $pairs; Path = $OutputPath }
