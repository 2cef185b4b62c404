@{
    RootModule           = 'EmbedPS.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f1d3c2a-8b7e-4b8f-9a51-2f3e7c1d9e40'
    Author               = 'EmbedPS developers'
    CompanyName          = 'EmbedPS'
    Copyright            = '(c) EmbedPS developers. MIT licence.'
    Description          = 'Turns entity collections into an embedding atlas: co-occurrence, neighbour graphs, minimum-distortion embedding, UMAP/t-SNE projection, previews and a WebGL atlas.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.6'
    RequiredAssemblies   = @('EmbedPS.Core.dll')
    CmdletsToExport      = @(
        'Import-EntityCollection'
        'Select-EntityCollection'
        'New-SyntheticCollection'
        'Import-EmbedArtifact'
        'Test-EmbedArtifact'
        'Export-EmbedArtifact'
        'New-CooccurrenceMatrix'
        'Merge-CooccurrenceMatrix'
        'Import-CooccurrenceMatrix'
        'Invoke-NeighborPreservation'
        'Invoke-Mde'
        'ConvertTo-Projection'
        'Measure-Embedding'
        'Get-EntityNeighbor'
        'Export-EmbeddingPreview'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    FormatsToProcess     = @(
        'EmbedPS.Format.ps1xml'
        'Collections.Format.ps1xml'
        'Cooccurrence.Format.ps1xml'
        'NeighborPreservation.Format.ps1xml'
        'Mde.Format.ps1xml'
        'Projection.Format.ps1xml'
        'Preview.Format.ps1xml'
    )
    PrivateData          = @{
        PSData = @{
            Tags         = @('embedding', 'umap', 'tsne', 'mde', 'cooccurrence', 'visualization', 'parquet')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'See README.md.'
        }
    }
}
