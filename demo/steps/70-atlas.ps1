# Step 70: the interactive atlas: the UMAP layout and a t-SNE layout of the same entities, neighbours and galaxy mode from
# the 3-D embedding, the sample's metadata. Open the printed index.html in a browser (it works from disk).
if (-not $Demo.Projection) { Step 'Atlas skipped: no projection from step 50'; return }
$layouts = @($Demo.Projection)
if ($Demo.Embedding -and $Demo.Embedding.EntityCount -le 100000) {
    Step 'A second layout for the atlas (t-SNE), aligned to the UMAP map'
    $layouts += $Demo.Embedding | ConvertTo-Projection -Method Tsne -Seed 42 -AlignTo $Demo.Projection -OutFile (Out 'projection-tsne.parquet')
}
Step 'Writing the interactive atlas'
$Demo.Atlas = $layouts | Export-EmbeddingAtlas -Path (Out 'atlas') -Embedding $Demo.Embedding -Metadata $Demo.Metadata `
    -Title "EmbedPS sample atlas ($($Demo.Size))" -TooltipProperty group, subgroup, popularity -SearchProperty subgroup -PassThru
$Demo.Atlas | Format-List | Out-String | Write-Host
Write-Host "Open the atlas: $($Demo.Atlas.IndexPath)"
