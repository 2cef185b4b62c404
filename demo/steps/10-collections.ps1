# Step 10: the built-in sample (with entity labels for colouring), persisted and read back; exported as a plain
# long-format CSV and imported again the way a user imports their own data; then pre-filtered.
Step "Generating the $($Demo.Size) sample"
$Demo.Collections = New-SyntheticCollection -Size $Demo.Size -Seed 42 -MetadataPath $Demo.Metadata -OutFile (Out 'collections.parquet')
$Demo.Collections | Format-Table | Out-String | Write-Host
$again = Import-EmbedArtifact (Out 'collections.parquet')
if ($again.PairCount -ne $Demo.Collections.PairCount) { throw 'The collections artifact did not round-trip.' }
$again = $null   # the copy read back only served the check

Step 'Exporting the sample as CSV and importing it with Import-EntityCollection'
[EmbedPS.Core.Collections.CollectionCsvWriter]::Write($Demo.Collections, (Out 'collections.csv'))
$imported = Import-EntityCollection (Out 'collections.csv') -CollectionProperty collection -EntityProperty entity
foreach ($count in 'EntityCount', 'CollectionCount', 'PairCount') {
    if ($imported.$count -ne $Demo.Collections.$count) { throw "The CSV import has $($imported.$count) for $count; the sample has $($Demo.Collections.$count)." }
}

Step 'Pre-filtering: entities in at least 5 collections, collections with at least 2 of them'
$Demo.Collections = $Demo.Collections | Select-EntityCollection -MinCollections 5 -MinCollectionSize 2 -OutFile (Out 'collections-filtered.parquet')
if (@($Demo.Collections.Popularity | Where-Object { $_ -lt 5 }).Count -gt 0) { throw 'Select-EntityCollection left an entity in fewer than 5 collections.' }
$Demo.Collections | Format-Table | Out-String | Write-Host
