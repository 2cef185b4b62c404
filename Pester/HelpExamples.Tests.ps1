# Every example of every EmbedPS cmdlet's Get-Help runs as written, on prepared sample files.
#
# Each example runs in its own copy of a fixture folder (its current location), with these files and variables:
#   collections.parquet   collections artifact of New-SyntheticCollection -Size Tiny -Seed 42 (400 entities, ids 1…400)   $set
#   entities.csv          its metadata: entity, name, group, subgroup, popularity (labels.csv: the same)
#   cooccurrence.parquet  its co-occurrence artifact (cooc.parquet, edges.parquet: the same)                           $cooc
#   neighbors.parquet     its neighbour graph (graphs/a.parquet, graphs/b.parquet: the same)                            $graph
#   embedding.parquet     its 3-D embedding                                                                             $embedding
#   projection.parquet    its UMAP projection (last-month.parquet: the same)                                            $projection
#   shards/jan.parquet, shards/feb.parquet  co-occurrence artifacts of two other samples              $janCollections, $febCollections
#   spark-out/cooc/part-*.parquet  a plain Parquet edge list: entity_a, entity_b, n
#   plays.parquet, maps.csv  the README tour's names for collections.parquet and entities.csv (no weights or values);
#                         examples use the tour's names (plays, maps, cooc, neighbors, embedding, projection .parquet/.csv)
#   ratings.csv           user_id, anime_id, rating          weighted.parquet  collections artifact with weights and values
#   plays/day=…/part-0.parquet  Hive-partitioned: user, song, played_at
#   exports/*.tsv         list, item                         deps.csv        package, dependency, scope
#   cells.csv             cell, x, y, z                      nightly/        an empty folder
#   pipeline.psd1         an Invoke-EmbeddingPipeline data file: collections.parquet + entities.csv → ./site (runs/, cache/, latest)
# A new cmdlet's examples run too: write them against these files and variables (add a file here if one is missing).
BeforeDiscovery {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:examples = foreach ($command in Get-Command -Module EmbedPS | Sort-Object Name) {
        $index = 0
        foreach ($example in (Get-Help $command.Name -Full).Examples.Example) {
            $index++
            @{ Command = $command.Name; Index = $index; Code = $example.Code.Trim() }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $env:EMBEDPS_MODULE_PATH 'EmbedPS.psd1') -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("embedps-pester-examples-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $script:fixture = New-Item -ItemType Directory (Join-Path $script:root 'fixture')
    $f = $script:fixture.FullName
    $invariant = [cultureinfo]::InvariantCulture

    # Plain Parquet (no EmbedPS footer), written with the Parquet.Net that EmbedPS loads in its own load context.
    $parquet = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext([EmbedPS.Core.Common.EntityIds].Assembly).LoadFromAssemblyName([Reflection.AssemblyName]::new('Parquet'))
    function Write-PlainParquet([string] $Path, [System.Collections.Specialized.OrderedDictionary] $Columns) {
        $fieldType = $parquet.GetType('Parquet.Schema.Field', $true)
        $dataFieldType = $parquet.GetType('Parquet.Schema.DataField', $true)
        $fields = [Array]::CreateInstance($fieldType, $Columns.Count)
        $i = 0
        foreach ($name in $Columns.Keys) { $fields[$i++] = $dataFieldType::new($name, $Columns[$name].GetType().GetElementType()) }
        New-Item -ItemType Directory (Split-Path $Path) -Force | Out-Null
        $stream = [IO.File]::Create($Path)
        try {
            $schema = $parquet.GetType('Parquet.Schema.ParquetSchema', $true)::new($fields)
            $writer = $parquet.GetType('Parquet.ParquetWriter', $true)::CreateAsync($schema, $stream).GetAwaiter().GetResult()
            $group = $writer.CreateRowGroup()
            $i = 0
            $none = [Threading.CancellationToken]::None
            foreach ($name in $Columns.Keys) {
                $field = $fields[$i++]; $values = $Columns[$name]
                $task = switch ($values.GetType().GetElementType()) {
                    ([string]) { $group.WriteAsync($field, [string[]]$values, $null) }
                    ([long]) { $group.WriteAsync[long]($field, [ReadOnlyMemory[long]]::new($values), $null, $null, $none) }
                    ([DateTime]) { $group.WriteAsync[DateTime]($field, [ReadOnlyMemory[DateTime]]::new($values), $null, $null, $none) }
                    default { throw "Write-PlainParquet: no writer for $_" }
                }
                $task.GetAwaiter().GetResult()
            }
            $group.Dispose()
            $writer.DisposeAsync().AsTask().GetAwaiter().GetResult()
        } finally { $stream.Dispose() }
    }

    # The sample through every stage (Tiny: 400 entities), persisted.
    $script:set = New-SyntheticCollection -Size Tiny -Seed 42 -MetadataPath (Join-Path $f 'entities.csv') -OutFile (Join-Path $f 'collections.parquet')
    Copy-Item (Join-Path $f 'entities.csv') (Join-Path $f 'labels.csv')
    $script:cooc = $script:set | New-CooccurrenceMatrix -OutFile (Join-Path $f 'cooccurrence.parquet')
    foreach ($copy in 'cooc.parquet', 'edges.parquet') { Copy-Item (Join-Path $f 'cooccurrence.parquet') (Join-Path $f $copy) }
    $script:graph = $script:cooc | Invoke-NeighborPreservation -Seed 42 -OutFile (Join-Path $f 'neighbors.parquet') -WarningAction SilentlyContinue
    New-Item -ItemType Directory (Join-Path $f 'graphs'), (Join-Path $f 'nightly'), (Join-Path $f 'shards'), (Join-Path $f 'exports') | Out-Null
    foreach ($copy in 'a.parquet', 'b.parquet') { Copy-Item (Join-Path $f 'neighbors.parquet') (Join-Path $f "graphs/$copy") }
    $script:embedding = $script:graph | Invoke-Mde -Seed 42 -MaxIterations 100 -Device Cpu -OutFile (Join-Path $f 'embedding.parquet')
    $script:projection = $script:embedding | ConvertTo-Projection -Method Umap -Seed 42 -OutFile (Join-Path $f 'projection.parquet')
    Copy-Item (Join-Path $f 'projection.parquet') (Join-Path $f 'last-month.parquet')
    $script:janCollections = New-SyntheticCollection -Size Tiny -Seed 1
    $script:febCollections = New-SyntheticCollection -Size Tiny -Seed 2
    $null = $script:janCollections | New-CooccurrenceMatrix -OutFile (Join-Path $f 'shards/jan.parquet')
    $null = $script:febCollections | New-CooccurrenceMatrix -OutFile (Join-Path $f 'shards/feb.parquet')

    # Long-format tables as users bring them, made from the sample's collections.
    $csv = Join-Path $script:root 'collections.csv'
    [EmbedPS.Core.Collections.CollectionCsvWriter]::Write($script:set, $csv)
    $rows = [IO.File]::ReadAllLines($csv)
    $ratings = [Collections.Generic.List[string]]::new(); $ratings.Add('user_id,anime_id,rating')
    $tsvA = [Collections.Generic.List[string]]::new(); $tsvA.Add("list`titem")
    $tsvB = [Collections.Generic.List[string]]::new(); $tsvB.Add("list`titem")
    for ($r = 1; $r -lt $rows.Count; $r++) {
        $parts = $rows[$r].Split(',')
        $ratings.Add("$($parts[0]),$($parts[1]),$(1 + ($r % 10))")
        if ($r % 2) { $tsvA.Add("$($parts[0])`t$($parts[1])") } else { $tsvB.Add("$($parts[0])`t$($parts[1])") }
    }
    [IO.File]::WriteAllLines((Join-Path $f 'ratings.csv'), $ratings)
    [IO.File]::WriteAllLines((Join-Path $f 'exports/a.tsv'), $tsvA)
    [IO.File]::WriteAllLines((Join-Path $f 'exports/b.tsv'), $tsvB)
    $null = Import-EntityCollection (Join-Path $f 'ratings.csv') -CollectionProperty user_id -EntityProperty anime_id -WeightProperty rating -ValueProperty rating -OutFile (Join-Path $f 'weighted.parquet')
    # The tour's own file names (README), so that an example written against them runs on what a new user has:
    # plays.parquet is the sample's collections artifact (no weights or values), maps.csv its metadata.
    Copy-Item (Join-Path $f 'collections.parquet') (Join-Path $f 'plays.parquet')
    Copy-Item (Join-Path $f 'entities.csv') (Join-Path $f 'maps.csv')
    $deps = [Collections.Generic.List[string]]::new(); $deps.Add('package,dependency,scope')
    for ($p = 0; $p -lt 60; $p++) { for ($d = 1; $d -le 4; $d++) { $deps.Add("pkg$p,lib$((($p * 7) + $d * 3) % 25),$(if ($d -eq 4) { 'test' } else { 'runtime' })") } }
    [IO.File]::WriteAllLines((Join-Path $f 'deps.csv'), $deps)
    $cells = [Collections.Generic.List[string]]::new(); $cells.Add('cell,x,y,z')
    for ($c = 0; $c -lt 60; $c++) { $o = 10 * ($c % 2); $cells.Add([string]::Format($invariant, 'c{0},{1},{2},{3}', $c, $o + ($c * 0.37) % 1, $o + ($c * 0.61) % 1, ($c * 0.13) % 1)) }
    [IO.File]::WriteAllLines((Join-Path $f 'cells.csv'), $cells)
    @"
@{
    Name        = 'sample'
    OutputPath  = './site'
    Input       = @{ Path = './collections.parquet'; CollectionProperty = 'collection'; EntityProperty = 'entity' }
    Neighbors   = @{ Seed = 42 }
    Mde         = @{ MaxIterations = 60; Seed = 42 }
    Projections = @( @{ Method = 'Umap'; Seed = 42; Epochs = 100 } )
    Metadata    = @{ Path = './entities.csv' }
    Atlas       = @{ Title = 'Sample atlas'; ColorProperty = 'group' }
    AlignTo     = 'latest'
}
"@ | Set-Content (Join-Path $f 'pipeline.psd1')

    # Plain Parquet as Spark or DuckDB write it: an edge list in part files, and Hive-partitioned plays.
    for ($part = 0; $part -lt 2; $part++) {
        $a = [long[]]@(0..39 | ForEach-Object { $_ + 1 }); $b = [long[]]@(0..39 | ForEach-Object { (($_ + 1 + $part) % 40) + 1 })
        Write-PlainParquet (Join-Path $f "spark-out/cooc/part-$part.parquet") ([ordered]@{ entity_a = $a; entity_b = $b; n = [long[]]@(0..39 | ForEach-Object { 3 + $_ % 5 }) })
    }
    foreach ($day in 1, 2) {
        $users = [string[]]@(0..199 | ForEach-Object { 'u' + ($_ % 40) })
        $songs = [long[]]@(0..199 | ForEach-Object { (($_ * 13) + $day) % 50 })
        $played = [DateTime[]]@(0..199 | ForEach-Object { [DateTime]::new(2024, 5, $day, 0, 0, 0, [DateTimeKind]::Utc).AddMinutes($_) })
        Write-PlainParquet (Join-Path $f "plays/day=2024-05-0$day/part-0.parquet") ([ordered]@{ user = $users; song = $songs; played_at = $played })
    }
    $script:run = 0
}
AfterAll { Remove-Item $script:root -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Get-Help examples' -Tag 'Integration' {
    It 'finds examples for every cmdlet' {
        foreach ($command in Get-Command -Module EmbedPS) {
            @((Get-Help $command.Name -Full).Examples.Example).Count | Should -BeGreaterOrEqual 1 -Because "$($command.Name) needs an example"
        }
    }

    It '<Command> example <Index> runs as written: <Code>' -ForEach $script:examples {
        $work = Join-Path $script:root ("run-{0}" -f (++$script:run))
        Copy-Item $script:fixture.FullName $work -Recurse
        $state = { @(Get-ChildItem $work -Recurse -File | ForEach-Object { '{0}|{1}|{2}' -f $_.FullName, $_.Length, $_.LastWriteTimeUtc.Ticks }) }
        $before = & $state
        $variables = @{ set = $script:set; cooc = $script:cooc; graph = $script:graph; embedding = $script:embedding; projection = $script:projection
            janCollections = $script:janCollections; febCollections = $script:febCollections }
        $code = $Code
        Push-Location $work
        try {
            # A child scope with the fixture's variables; every error is terminating, so a failed example fails here.
            $output = & {
                param($variables, $code)
                foreach ($name in $variables.Keys) { Set-Variable -Name $name -Value $variables[$name] }
                $ErrorActionPreference = 'Stop'
                $WarningPreference = 'SilentlyContinue'
                $VerbosePreference = 'SilentlyContinue'
                . ([scriptblock]::Create($code))
            } $variables $code 4>$null
        } finally { Pop-Location }
        # It did something: wrote a file, or produced output.
        $wrote = @(& $state | Where-Object { $_ -notin $before }).Count -gt 0
        $assigned = $code -match '^\s*\$\w+\s*='
        ($wrote -or @($output).Count -gt 0 -or $assigned) | Should -BeTrue -Because 'an example shows something: output, a file, or a variable it assigns'
        # Every -OutFile / -Path / -MetadataPath it names exists afterwards (a parameter sweep's -OutFile: the files named by
        # its settings, map.parquet → map.k15.md0.05.parquet …).
        foreach ($match in [regex]::Matches($code, '-(?:OutFile|MetadataPath|Path)\s+(\./[^\s|;)]+\.(?:parquet|png|csv|html))')) {
            $named = Join-Path $work $match.Groups[1].Value
            $swept = @(Get-ChildItem (Split-Path $named) -Filter ('{0}.*{1}' -f [IO.Path]::GetFileNameWithoutExtension($named), [IO.Path]::GetExtension($named)) -ErrorAction SilentlyContinue)
            ((Test-Path $named) -or $swept.Count -gt 1) | Should -BeTrue -Because "the example writes $($match.Groups[1].Value)"
        }
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}
