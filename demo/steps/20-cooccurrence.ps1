# Step 20: co-occurrence counts of the sample (exact: the Small sample fits easily), persisted and read back.
Step 'Counting co-occurrences'
$Demo.Cooccurrence = $Demo.Collections | New-CooccurrenceMatrix -OutFile (Out 'cooccurrence.parquet')
$Demo.Cooccurrence | Format-Table | Out-String | Write-Host
$again = Import-CooccurrenceMatrix (Out 'cooccurrence.parquet')
if ($again.PairCount -ne $Demo.Cooccurrence.PairCount) { throw 'The cooccurrence artifact did not round-trip.' }
$again = $null   # the copy read back only served the check: at atlas size it is a second 3.2 GB matrix
