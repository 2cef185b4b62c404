# Step 50: the 2-D atlas layout (UMAP) of the MDE embedding, persisted, measured against the embedding and labels.
if (-not $Demo.Embedding) { Step 'Projection skipped: no embedding from step 40'; return }
Step 'Projecting the embedding to 2-D (UMAP)'
$Demo.Projection = $Demo.Embedding | ConvertTo-Projection -Method Umap -Seed 42 -OutFile (Out 'projection.parquet')
$Demo.Projection | Format-Table | Out-String | Write-Host
$Demo.ProjectionQuality = $Demo.Projection | Measure-Embedding -Reference $Demo.Embedding -LabelProperty group -Metadata $Demo.Metadata
$Demo.ProjectionQuality | Format-List | Out-String | Write-Host
$first = $Demo.Projection.Entities[0]
Step "Nearest entities to $first on the map"
$Demo.Projection | Get-EntityNeighbor -Entity $first -Count 5 | Format-Table | Out-String | Write-Host
