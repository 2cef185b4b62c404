# Step 10: the built-in sample (with entity labels for colouring), persisted and read back.
Step "Generating the $($Demo.Size) sample"
$Demo.Collections = New-SyntheticCollection -Size $Demo.Size -Seed 42 -MetadataPath $Demo.Metadata -OutFile (Out 'collections.parquet')
$Demo.Collections | Format-Table | Out-String | Write-Host
$again = Import-EmbedArtifact (Out 'collections.parquet')
if ($again.PairCount -ne $Demo.Collections.PairCount) { throw 'The collections artifact did not round-trip.' }
