# Step 60: a PNG preview of every stage present in $Demo, coloured by the sample's planted groups from $Demo.Metadata.
$previewStyle = @{ Metadata = $Demo.Metadata; ColorProperty = 'group' }
$Demo.Previews = @()
if ($Demo.Collections) {
    Step 'Preview: collection sizes and entity popularity'
    $Demo.Previews += $Demo.Collections | Export-EmbeddingPreview -Path (Out 'preview-collections.png') -PassThru
}
if ($Demo.Cooccurrence) {
    Step 'Preview: co-occurrence degree and weight distributions'
    $Demo.Previews += $Demo.Cooccurrence | Export-EmbeddingPreview -Path (Out 'preview-cooccurrence.png') -PassThru
}
if ($Demo.NeighborGraph) {
    Step 'Preview: neighbour graph degrees, distances and components'
    $Demo.Previews += $Demo.NeighborGraph | Export-EmbeddingPreview -Path (Out 'preview-neighbor-graph.png') -PassThru
}
if ($Demo.Embedding) {
    Step 'Preview: embedding (principal components and every pair of axes)'
    $Demo.Previews += $Demo.Embedding | Export-EmbeddingPreview -Path (Out 'preview-embedding.png') @previewStyle -LabelTop 12 -PassThru
    if ($Demo.Embedding.Dimension -ge 3) {
        $Demo.Previews += $Demo.Embedding | Export-EmbeddingPreview -Path (Out 'preview-embedding-pairs.png') @previewStyle -View Pairs -Width 1500 -PassThru
    }
    if ($Demo.Embedding.DistortionHistory.Count -gt 0) {
        $Demo.Previews += $Demo.Embedding | Export-EmbeddingPreview -Path (Out 'preview-distortion.png') -View Distortion -PassThru
    }
}
if ($Demo.Projection) {
    Step 'Preview: the 2-D projection (light and dark)'
    $Demo.Previews += $Demo.Projection | Export-EmbeddingPreview -Path (Out 'preview-projection.png') @previewStyle -LabelTop 15 -PassThru
    $Demo.Previews += $Demo.Projection | Export-EmbeddingPreview -Path (Out 'preview-projection-dark.png') @previewStyle -LabelTop 15 -Theme Dark -PassThru
}
$Demo.Previews | Format-Table Name, Length | Out-String | Write-Host
