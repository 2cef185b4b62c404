# Step 70: the interactive atlas: the UMAP layout and a t-SNE layout of the same entities, neighbours and galaxy mode from
# the 3-D embedding, the sample's metadata. Open the printed index.html in a browser (it works from disk).
if (-not $Demo.Projection) { Step 'Atlas skipped: no projection from step 50'; return }
$layouts = @($Demo.Projection)
if ($Demo.Embedding) {
    # A second layout to switch to: t-SNE for the small sample; PCA (seconds, not minutes) at atlas scale.
    $method = if ($Demo.Embedding.EntityCount -le 20000) { 'Tsne' } else { 'Pca' }
    Step "A second layout for the atlas ($method), aligned to the UMAP map"
    $layouts += $Demo.Embedding | ConvertTo-Projection -Method $method -Seed 42 -AlignTo $Demo.Projection -OutFile (Out "projection-$($method.ToLowerInvariant()).parquet")
}
Step 'Writing the interactive atlas'
$Demo.Atlas = $layouts | Export-EmbeddingAtlas -Path (Out 'atlas') -Embedding $Demo.Embedding -Metadata $Demo.Metadata `
    -Title "EmbedPS sample atlas ($($Demo.Size))" -TooltipProperty group, subgroup, popularity -SearchProperty subgroup -PassThru
$Demo.Atlas | Format-List | Out-String | Write-Host
Write-Host "Open the atlas: $($Demo.Atlas.IndexPath)"
