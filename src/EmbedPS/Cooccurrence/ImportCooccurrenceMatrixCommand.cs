using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Cooccurrence;

namespace EmbedPS.Commands.Cooccurrence;

/// <summary>
/// <para type="synopsis">Reads a co-occurrence matrix from an edge list written by Spark, DuckDB or any SQL engine, or from a 'cooccurrence' artifact.</para>
/// <para type="description">An edge list is a table with columns entity_a, entity_b and weight (other names with -EntityAColumn,
/// -EntityBColumn, -WeightColumn): one Parquet or CSV file, or a folder of part files as Spark writes them (part-*.parquet or
/// part-*.csv; files starting with '_' or '.' are skipped). Entity ids may be integers or text. Each row adds its weight to the
/// unordered pair {entity_a, entity_b}, so list each pair once (entity_a &lt; entity_b); repeated pairs, in either orientation
/// or across part files, are summed. Rows with entity_a = entity_b give the entity's popularity (the number of collections it is
/// in). An EmbedPS 'cooccurrence' artifact (-OutFile of New-CooccurrenceMatrix) reads as itself. The documentation shows the SQL
/// that computes such an edge list from raw logs too large for one machine. Bad rows give an error naming the file, line or row,
/// column and value.</para>
/// </summary>
/// <example>
///   <code>Import-CooccurrenceMatrix ./edges.parquet | Invoke-NeighborPreservation -NeighborCount 15</code>
///   <para>Continues the pipeline from an edge list computed by a DuckDB job.</para>
/// </example>
/// <example>
///   <code>Import-CooccurrenceMatrix -Path ./spark-out/cooc/ -WeightColumn n -OutFile ./cooccurrence.parquet</code>
///   <para>Reads the folder of part files a Spark job wrote, whose weight column is named n, and keeps it as an artifact.</para>
/// </example>
[Cmdlet(VerbsData.Import, "CooccurrenceMatrix", SupportsShouldProcess = true)]
[OutputType(typeof(CooccurrenceMatrix))]
public sealed class ImportCooccurrenceMatrixCommand : EmbedPSStageCmdlet
{
    /// <summary>Edge-list file or folder, or a 'cooccurrence' artifact; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Name of the first entity column (default entity_a; matched case-insensitively).</summary>
    [Parameter] public string EntityAColumn { get; set; } = "entity_a";

    /// <summary>Name of the second entity column (default entity_b).</summary>
    [Parameter] public string EntityBColumn { get; set; } = "entity_b";

    /// <summary>Name of the weight column (default weight).</summary>
    [Parameter] public string WeightColumn { get; set; } = "weight";

    /// <summary>Text encoding of CSV edge lists, as Import-Csv's -Encoding: utf8, unicode (UTF-16), bigendianunicode, utf32, ascii, latin1, or a code page. Default: a byte order mark's encoding, otherwise UTF-8; an invalid byte is an error naming the file, line and byte offset.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public string? Encoding { get; set; }

    /// <summary>Accept negative weights. Without it a negative weight is an error naming the file, row and value (graph distances and most weightings need w ≥ 0).</summary>
    [Parameter] public SwitchParameter AllowNegativeWeight { get; set; }

    protected override void ProcessRecord()
    {
        var columns = new EdgeListColumns(EntityAColumn, EntityBColumn, WeightColumn) { Encoding = Encoding, AllowNegativeWeight = AllowNegativeWeight };
        foreach (var pattern in Path)
        {
            foreach (var path in Resolve(this, pattern))
            {
                var matrix = RunStage("Reading " + System.IO.Path.GetFileName(path), (log, ct) => EdgeListImporter.Read(path, columns, log, ct), path);
                WriteVerbose($"Read {matrix} from '{path}'.");
                SaveAndEmit(matrix);
            }
        }
    }

    /// <summary>Expands wildcards; a missing path is a terminating error that names it.</summary>
    internal static IEnumerable<string> Resolve(EmbedPSCmdlet cmdlet, string pattern)
    {
        if (WildcardPattern.ContainsWildcardCharacters(pattern))
        {
            List<string> found;
            try
            {
                found = cmdlet.GetResolvedProviderPathFromPSPath(pattern, out _).ToList();
            }
            catch (ItemNotFoundException)
            {
                found = new List<string>();
            }
            if (found.Count == 0)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"No file matches '{pattern}'."), "InputNotFound", ErrorCategory.ObjectNotFound, pattern));
            }
            return found;
        }
        var full = cmdlet.GetUnresolvedProviderPathFromPSPath(pattern);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"Cannot find '{full}' because it does not exist.", full), "InputNotFound", ErrorCategory.ObjectNotFound, full));
        }
        return new[] { full };
    }
}
