# Step 30: the neighbour-preservation problem (kNN graph by shortest path, repulsive pairs, spectral start), persisted and read back.
Step 'Building the neighbour graph'
$Demo.NeighborGraph = $Demo.Cooccurrence | Invoke-NeighborPreservation -Seed 42 -OutFile (Out 'neighbor-graph.parquet')
$Demo.NeighborGraph | Format-Table | Out-String | Write-Host
$again = Import-EmbedArtifact (Out 'neighbor-graph.parquet')
if ($again.EdgeCount -ne $Demo.NeighborGraph.EdgeCount) { throw 'The neighbour-graph artifact did not round-trip.' }
$again = $null   # the copy read back only served the check
