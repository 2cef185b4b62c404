# Step 40: minimum-distortion embedding of the neighbour graph (3 dims, PyMDE's objective), persisted and read back.
if (-not $Demo.NeighborGraph) { Step 'Skipping Invoke-Mde: no neighbour graph (step 30 did not run)'; return }
Step 'Minimum-distortion embedding (Invoke-Mde)'
$Demo.Embedding = $Demo.NeighborGraph | Invoke-Mde -Seed 42 -OutFile (Out 'embedding.parquet')
$Demo.Embedding | Format-Table | Out-String | Write-Host
$again = Import-EmbedArtifact (Out 'embedding.parquet')
if ($again.EntityCount -ne $Demo.Embedding.EntityCount -or $again.FinalDistortion -ne $Demo.Embedding.FinalDistortion) {
    throw 'The embedding artifact did not round-trip.'
}
$again = $null   # the copy read back only served the check
