# Runs before PowerShell loads the cmdlet assembly (the manifest's ScriptsToProcess): creates the module's own
# AssemblyLoadContext, so that EmbedPS.Core and its libraries (Parquet.Net, SkiaSharp, ScottPlot, MathNet, ILGPU, Sep)
# load from ./dependencies in isolation from other modules, and natives from ./runtimes/<rid>/native.
Add-Type -LiteralPath (Join-Path $PSScriptRoot 'EmbedPS.dll')
[EmbedPS.Commands.Infrastructure.ModuleInitializer]::Register($PSScriptRoot)
