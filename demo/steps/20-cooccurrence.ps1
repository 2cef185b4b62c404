# Step 20: co-occurrence counts of the sample (exact: the Small sample fits easily), persisted and read back.
Step 'Counting co-occurrences'
$Demo.Cooccurrence = $Demo.Collections | New-CooccurrenceMatrix -OutFile (Out 'cooccurrence.parquet')
$Demo.Cooccurrence | Format-Table | Out-String | Write-Host
if ($Demo.Size -ne 'Atlas') {
    $again = Import-CooccurrenceMatrix (Out 'cooccurrence.parquet')
    if ($again.PairCount -ne $Demo.Cooccurrence.PairCount) { throw 'The cooccurrence artifact did not round-trip.' }
    $again = $null   # the copy read back only served the check
}
else {
    # At atlas size a read-back would decode ~200 M pairs into a second 3.2 GB matrix only to compare one number: check the
    # file as every import does first (the SHA-256 of its pages and its footer) and its row count (one self row per entity,
    # then each pair once), and hand the matrix in memory on to the next step.
    Step 'Verifying the co-occurrence artifact (content hash and row count)'
    $file = [EmbedPS.Core.Artifacts.ParquetArtifact]::Open((Out 'cooccurrence.parquet'), [EmbedPS.Core.Artifacts.ArtifactKind]::Cooccurrence)
    try {
        if ($file.RowCount -ne $Demo.Cooccurrence.EntityCount + $Demo.Cooccurrence.PairCount) { throw "The cooccurrence artifact holds $($file.RowCount) rows, not $($Demo.Cooccurrence.EntityCount + $Demo.Cooccurrence.PairCount)." }
    }
    finally { $file.Dispose() }
}
