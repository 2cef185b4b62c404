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
    ScriptsToProcess     = @('EmbedPS.Loader.ps1')
    # No RequiredAssemblies: EmbedPS.Core and its libraries load into the module's own AssemblyLoadContext when the module is
    # imported (see src/EmbedPS/Infrastructure/ModuleLoadContext.cs), not into PowerShell's shared one.
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
        'Export-EmbeddingAtlas'
        'Invoke-EmbeddingPipeline'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    TypesToProcess       = @('EmbedPS.Types.ps1xml')
    FormatsToProcess     = @(
        'EmbedPS.Format.ps1xml'
        'Cooccurrence.Format.ps1xml'
        'NeighborPreservation.Format.ps1xml'
        'Mde.Format.ps1xml'
        'Projection.Format.ps1xml'
        'Atlas.Format.ps1xml'
        'Pipeline.Format.ps1xml'
    )
    PrivateData          = @{
        PSData = @{
            Tags         = @('embedding', 'umap', 'tsne', 'mde', 'cooccurrence', 'visualization', 'parquet', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            # No ProjectUri: there is no public repository yet. The licence is MIT (LICENSE, in the module folder too).
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = @'
0.1.0
- One package for Windows (x64), Linux (x64, arm64) and macOS (x64, arm64): the native libraries of each platform ship
  under runtimes/<rid>/native and the module loads the right one.
- Dependencies (Parquet.Net, SkiaSharp, ScottPlot, MathNet.Numerics, ILGPU, Sep) load in the module's own
  AssemblyLoadContext, so other modules' versions of them do not conflict.
- Invoke-Mde owns the embedding settings (-Dimension, penalties, -Constraint, -Init, -InitialEmbedding); a saved neighbour
  graph can be re-solved with another penalty without the neighbour stage. Invoke-NeighborPreservation no longer takes them.
'@
        }
    }
}
