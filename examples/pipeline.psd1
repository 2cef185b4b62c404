# The nightly pipeline of the built-in sample (see docs/pipeline.md for every key).
# Relative paths are relative to this file. examples/nightly.ps1 makes ./data/ from New-SyntheticCollection when it is missing;
# point Input.Path and Metadata.Path at your own exports instead.
@{
    Name        = 'sample-atlas'
    OutputPath  = '../out/nightly'          # runs/<id>/, cache/, pipeline.lock, and latest -> runs/<id> (serve latest/atlas)
    Input       = @{
        Path               = './data/plays.parquet'
        CollectionProperty = 'collection'
        EntityProperty     = 'entity'
    }
    Filter      = @{ MinCollections = 20 }
    Cooccurrence = @{ CollectionWeighting = 'None' }
    Neighbors   = @{ NeighborCount = 15; ConnectComponents = $true; Seed = 42 }
    Mde         = @{ Dimension = 3; MaxIterations = 300; Seed = 42; Device = 'Cpu' }
    Projections = @(
        @{ Method = 'Umap'; Name = 'UMAP'; Seed = 42 }
    )
    Metadata    = @{ Path = './data/maps.csv'; IdProperty = 'entity' }
    Preview     = @{ ColorProperty = 'group' }
    Atlas       = @{ Title = 'Sample atlas'; ColorProperty = 'group'; LabelProperty = 'name' }
    Quality     = @{ LabelProperty = 'group'; K = 10 }
    AlignTo     = 'latest'                  # keep entities where they were last night
    KeepRuns    = 7
}
