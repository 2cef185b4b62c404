# WordNet's glosses as entity collections ("words in definitions"): one collection per synset, its entities the content
# words of the synset's definition (the gloss without its quoted examples), reduced to WordNet lemmas with WordNet's own
# exception lists and detachment rules, stop words dropped. Each word's label is the lexicographer file of its most
# frequent sense (e.g. noun.animal, verb.motion): the part of speech with the most tagged senses, then its first sense.
# Writes <OutputPath>/glosses.csv (synset,word) and <OutputPath>/words.csv (word,lexname).
# Needs Debian's wordnet-base (/usr/share/wordnet). Used by the peer benchmark (build.ps1 -Task Bench -Peers).
#   dotnet pwsh bench/peers/Export-WordNetGlosses.ps1 -OutputPath ./bench-data/wordnet
param(
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $WordNetPath = '/usr/share/wordnet'
)
$ErrorActionPreference = 'Stop'
if (-not (Test-Path (Join-Path $WordNetPath 'data.noun'))) { throw "WordNet not found in ${WordNetPath}: install it with 'apt-get install wordnet-base'." }
New-Item -ItemType Directory $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path $OutputPath).Path

# The 45 lexicographer files, by number (WordNet's lexnames(5WN)).
$lexNames = @('adj.all', 'adj.pert', 'adv.all', 'noun.Tops', 'noun.act', 'noun.animal', 'noun.artifact', 'noun.attribute',
    'noun.body', 'noun.cognition', 'noun.communication', 'noun.event', 'noun.feeling', 'noun.food', 'noun.group',
    'noun.location', 'noun.motive', 'noun.object', 'noun.person', 'noun.phenomenon', 'noun.plant', 'noun.possession',
    'noun.process', 'noun.quantity', 'noun.relation', 'noun.shape', 'noun.state', 'noun.substance', 'noun.time',
    'verb.body', 'verb.change', 'verb.cognition', 'verb.communication', 'verb.competition', 'verb.consumption',
    'verb.contact', 'verb.creation', 'verb.emotion', 'verb.motion', 'verb.perception', 'verb.possession', 'verb.social',
    'verb.stative', 'verb.weather', 'adj.ppl')
$stopWords = [Collections.Generic.HashSet[string]]::new([string[]]@(
    'a', 'about', 'above', 'after', 'again', 'against', 'all', 'also', 'an', 'and', 'any', 'are', 'as', 'at', 'be', 'been',
    'before', 'being', 'below', 'between', 'both', 'but', 'by', 'can', 'could', 'did', 'do', 'does', 'doing', 'down', 'during',
    'each', 'either', 'else', 'esp', 'etc', 'few', 'for', 'from', 'further', 'had', 'has', 'have', 'having', 'he', 'her', 'here',
    'hers', 'him', 'his', 'how', 'i', 'if', 'in', 'into', 'is', 'it', 'its', 'itself', 'just', 'may', 'me', 'might', 'more',
    'most', 'much', 'must', 'my', 'neither', 'no', 'nor', 'not', 'now', 'of', 'off', 'often', 'on', 'once', 'one', 'only', 'or',
    'other', 'our', 'out', 'over', 'own', 'same', 'she', 'should', 'so', 'some', 'something', 'someone', 'such', 'than', 'that',
    'the', 'their', 'them', 'then', 'there', 'these', 'they', 'this', 'those', 'through', 'to', 'too', 'under', 'until', 'up',
    'upon', 'usually', 'very', 'was', 'we', 'were', 'what', 'when', 'where', 'whether', 'which', 'while', 'who', 'whom', 'whose',
    'why', 'will', 'with', 'within', 'without', 'would', 'you', 'your', 'especially', 'used', 'use', 'etc', 'e.g', 'eg',
    'ie', 'cf', 'something', 'somebody', 'anything', 'thing', 'things', 'person', 'make', 'made', 'another', 'being', 'become',
    'having', 'two', 'three', 'us', 'via', 'per', 'like', 'less', 'many', 'several', 'certain', 'way', 'ways', 'act', 'state',
    'quality', 'relating', 'related', 'characteristic', 'characterized', 'consisting', 'part', 'form', 'kind', 'type',
    'usu', 'cause', 'causing', 'make', 'makes', 'get', 'give', 'take', 'especially', 'someone', 'something', 'genus', 'family'),
    [StringComparer]::Ordinal)
$parts = [ordered]@{ noun = 'n'; verb = 'v'; adj = 'a'; adv = 'r' }

# Lemmas: per part of speech, (tagged sense count, first synset offset); the lemma's part = the one with most tagged senses.
$best = [Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)
foreach ($pos in $parts.Keys) {
    foreach ($line in [IO.File]::ReadLines((Join-Path $WordNetPath "index.$pos"))) {
        if ($line.StartsWith(' ')) { continue }
        $f = $line.Split(' ', [StringSplitOptions]::RemoveEmptyEntries)
        $pointerCount = [int]$f[3]
        $tagged = [int]$f[5 + $pointerCount]
        $offset = $f[6 + $pointerCount]
        $current = $null
        if (-not $best.TryGetValue($f[0], [ref]$current) -or $tagged -gt $current.Tagged) {
            $best[$f[0]] = [pscustomobject]@{ Tagged = $tagged; Pos = $pos; Offset = $offset }
        }
    }
}
# Exceptions (irregular forms → base form), then WordNet's detachment rules (morphy).
$exceptions = [Collections.Generic.Dictionary[string, string]]::new([StringComparer]::Ordinal)
foreach ($pos in $parts.Keys) {
    foreach ($line in [IO.File]::ReadLines((Join-Path $WordNetPath "$pos.exc"))) {
        $f = $line.Split(' ', [StringSplitOptions]::RemoveEmptyEntries)
        if ($f.Count -ge 2 -and -not $exceptions.ContainsKey($f[0])) { $exceptions[$f[0]] = $f[1] }
    }
}
$rules = @(@('ses', 's'), @('xes', 'x'), @('zes', 'z'), @('ches', 'ch'), @('shes', 'sh'), @('men', 'man'), @('ies', 'y'),
    @('s', ''), @('es', 'e'), @('es', ''), @('ed', 'e'), @('ed', ''), @('ing', 'e'), @('ing', ''), @('er', ''), @('est', ''),
    @('er', 'e'), @('est', 'e'))
$lemmaOf = [Collections.Generic.Dictionary[string, string]]::new([StringComparer]::Ordinal)
function Get-Lemma([string] $word) {
    $known = $null
    if ($lemmaOf.TryGetValue($word, [ref]$known)) { return $known }
    $lemma = $null
    if ($best.ContainsKey($word)) { $lemma = $word }
    elseif ($exceptions.ContainsKey($word) -and $best.ContainsKey($exceptions[$word])) { $lemma = $exceptions[$word] }
    else {
        foreach ($rule in $rules) {
            if ($word.Length -gt $rule[0].Length + 1 -and $word.EndsWith($rule[0])) {
                $candidate = $word.Substring(0, $word.Length - $rule[0].Length) + $rule[1]
                if ($best.ContainsKey($candidate)) { $lemma = $candidate; break }
            }
        }
    }
    $lemmaOf[$word] = $lemma
    return $lemma
}

# Synsets: lexicographer file by offset (for the labels) and the gloss words (the collections).
$lexFileOf = [Collections.Generic.Dictionary[string, int]]::new([StringComparer]::Ordinal)
$pairs = [Collections.Generic.List[string]]::new()
$token = [regex]::new("[a-z][a-z'-]*[a-z]|[a-z]", 'Compiled')
$quoted = [regex]::new('"[^"]*"', 'Compiled')
foreach ($pos in $parts.Keys) {
    foreach ($line in [IO.File]::ReadLines((Join-Path $WordNetPath "data.$pos"))) {
        if ($line.StartsWith(' ')) { continue }
        $bar = $line.IndexOf(' | ')
        $head = $line.Substring(0, 16).Split(' ')
        $lexFileOf["$pos/$($head[0])"] = [int]$head[1]
        if ($bar -lt 0) { continue }
        $definition = $quoted.Replace($line.Substring($bar + 3), ' ').ToLowerInvariant()
        $synset = "$($parts[$pos])$($head[0])"
        $seen = [Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
        foreach ($m in $token.Matches($definition)) {
            $word = $m.Value.Trim("'", '-')
            if ($word.Length -lt 2 -or $stopWords.Contains($word)) { continue }
            $lemma = Get-Lemma $word
            if ($lemma -and -not $stopWords.Contains($lemma) -and $seen.Add($lemma)) { $pairs.Add("$synset,$lemma") }
        }
    }
}
Set-Content (Join-Path $OutputPath 'glosses.csv') -Value (@('synset,word') + $pairs) -Encoding utf8NoBOM
$words = [Collections.Generic.List[string]]::new()
$words.Add('word,lexname')
foreach ($entry in $best.GetEnumerator()) {
    $file = $lexFileOf["$($entry.Value.Pos)/$($entry.Value.Offset)"]
    $words.Add("$($entry.Key),$($lexNames[$file])")
}
Set-Content (Join-Path $OutputPath 'words.csv') -Value $words -Encoding utf8NoBOM
[pscustomobject]@{ Synsets = $lexFileOf.Count; Pairs = $pairs.Count; Words = $best.Count; Path = $OutputPath }
