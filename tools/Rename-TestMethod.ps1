#Requires -Version 7.0
<#
.SYNOPSIS
    Renames xunit test methods to the suite's one naming style: snake case with a capital first letter
    (Artifact_round_trip_keeps_every_value).
.DESCRIPTION
    The majority of the suite was written that way; this script converts the rest mechanically, and can be re-run after a
    merge brings in new tests (it changes nothing when every name already follows the style):
      - a PascalCase name is split at its word boundaries: the first word keeps its case, an all-capitals word of two or more
        letters keeps its capitals, a few acronyms and names are spelled as the suite spells them ($Spelling: CPU, GPU, PyMDE,
        DuckDB, …), every other word is lower-cased:
        CpuBackendAgreesWithScalarReference -> CPU_backend_agrees_with_scalar_reference, GpuWithoutCudaIsAClearError ->
        GPU_without_CUDA_is_a_clear_error;
      - a snake-case name starting with a lower-case letter gets a capital first letter.
    Only the declarations of methods carrying [Fact] or [Theory] (possibly with other attributes between) in
    tests/EmbedPS.Tests are renamed; a test method is never called from code. Other mentions of an old name in the
    repository (docs, filters) are listed at the end, not changed.
.PARAMETER WhatIf
    Lists the renames without writing.
.EXAMPLE
    dotnet pwsh ./tools/Rename-TestMethod.ps1
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [string] $TestRoot = (Join-Path $PSScriptRoot '../tests/EmbedPS.Tests')
)
$ErrorActionPreference = 'Stop'

# Words whose spelling is not plain lower case (acronyms, product and proper names), as the rest of the suite writes them.
$script:Spelling = @{
    Pymde = 'PyMDE'; Duckdb = 'DuckDB'; Cpu = 'CPU'; Gpu = 'GPU'; Cuda = 'CUDA'; Ilgpu = 'ILGPU'; Pca = 'PCA'; Kl = 'KL'
    Kd = 'KD'; Knn = 'kNN'; Csv = 'CSV'; Umap = 'UMAP'; Mde = 'MDE'; Floyd = 'Floyd'; Warshall = 'Warshall'; Dijkstra = 'Dijkstra'
}

function ConvertTo-TestName([string] $name) {
    if ($name.Contains('_')) {
        return [char]::ToUpperInvariant($name[0]) + $name.Substring(1)
    }
    # Compound names read as one word (PyMde, DuckDb).
    $name = $name -creplace 'PyMde|PyMDE', 'Pymde' -creplace 'DuckDb|DuckDB', 'Duckdb'
    $words = @([regex]::Matches($name, '[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+').Value)
    if ($words.Count -le 1) { return $name }
    $out = [System.Collections.Generic.List[string]]::new()
    for ($i = 0; $i -lt $words.Count; $i++) {
        $w = $words[$i]
        $spelled = if ($script:Spelling.ContainsKey($w)) { $script:Spelling[$w] }
                   elseif ($i -eq 0 -or ($w.Length -ge 2 -and $w -cmatch '^[A-Z]+$')) { $w }
                   else { $w.ToLowerInvariant() }
        # A number joins a short word before it (UTF8, L2, K10) and stands alone after a longer one (least_95).
        if ($w -match '^\d' -and $out.Count -gt 0 -and $out[-1].Length -le 3) { $out[-1] += $spelled } else { $out.Add($spelled) }
    }
    return $out -join '_'
}

# [Fact] / [Theory(...)] then any further attributes, then the method's declaration.
$pattern = '(?<head>\[(?:Fact|Theory)\b[^\]]*\](?:\s*\[[^\]]*\])*\s*public\s+(?:async\s+)?[\w<>\[\],?]+\s+)(?<name>\w+)(?<tail>\s*\()'
$renamed = [System.Collections.Generic.List[object]]::new()
$files = Get-ChildItem $TestRoot -Recurse -Filter *.cs | Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }
foreach ($file in $files) {
    $text = [IO.File]::ReadAllText($file.FullName)
    $changes = [System.Collections.Generic.List[object]]::new()
    $new = [regex]::Replace($text, $pattern, {
        param($m)
        $old = $m.Groups['name'].Value
        $name = ConvertTo-TestName $old
        if ($name -cne $old) { $changes.Add([pscustomobject]@{ File = $file.Name; Old = $old; New = $name }) }
        $m.Groups['head'].Value + $name + $m.Groups['tail'].Value
    })
    if ($changes.Count -gt 0 -and $PSCmdlet.ShouldProcess($file.FullName, "rename $($changes.Count) test methods")) {
        [IO.File]::WriteAllText($file.FullName, $new)
    }
    $renamed.AddRange($changes)
}
foreach ($r in $renamed) { "{0}: {1} -> {2}" -f $r.File, $r.Old, $r.New }
"$($renamed.Count) test methods renamed."
# Mentions elsewhere (a --filter in docs, a comment) are for a person to judge.
$root = (Resolve-Path (Join-Path $TestRoot '../..')).Path
$others = Get-ChildItem $root -Recurse -File -Include *.md, *.ps1, *.cs, *.psd1 | Where-Object {
    $relative = [IO.Path]::GetRelativePath($root, $_.FullName) -replace '\\', '/'
    $relative -notmatch '(^|/)(bin|obj|node_modules)/' -and $relative -notmatch '^(EmbedPS|out)/' -and $_.FullName -ne $PSCommandPath
}
if ($WhatIfPreference) { return }
foreach ($r in $renamed) {
    if ($r.Old.Length -lt 12) { continue }   # short names (Artifacts) are ordinary words
    $hits = $others | Select-String -Pattern "\b$([regex]::Escape($r.Old))\b" -CaseSensitive -List
    foreach ($h in $hits) { "still named elsewhere: $($r.Old) in $($h.Path):$($h.LineNumber)" }
}
