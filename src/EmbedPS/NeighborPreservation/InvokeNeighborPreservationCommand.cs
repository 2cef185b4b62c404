using System.Collections;
using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Knn;

namespace EmbedPS.Commands.NeighborPreservation;

/// <summary>
/// <para type="synopsis">Builds the neighbour-preservation problem (PyMDE's preserve_neighbors): a sparse kNN graph plus repulsive pairs, the data Invoke-Mde embeds.</para>
/// <para type="description">From a co-occurrence matrix (a graph of similarities) or from vectors (an Embedding, or a numeric table:
/// CSV or Parquet file, or pipeline objects such as Import-Csv rows) it builds what Invoke-Mde optimises. Graphs: each co-occurrence
/// weight is normalised (-Normalize, default SmoothedCosine: w·p̄ / √((popularityᵢ + p̄)(popularityⱼ + p̄)) with p̄ the mean
/// popularity, so that hubs stop being everybody's nearest neighbour and a pair seen once between two rare entities does not
/// outrank well-supported partners), turned into a length (-Transform, default InverseLog: 1 / ln(1 + w)), and each entity's k neighbours are the k
/// nearest by shortest-path length within a radius (-MaxDistance, default 3 × the 75th percentile of edge lengths), so that
/// multi-hop paths fill in neighbours for weakly connected entities. Vectors: Euclidean kNN, exact (blocked, SIMD, parallel) for
/// up to 10,000 rows or n²·d ≤ 5·10¹⁰, approximate (NN-descent, recall ≥ 0.95) beyond. Edges get weight 2 when the two entities are
/// each other's neighbours, 1 when one-way; repulsive pairs (weight −1) are sampled uniformly among the other pairs
/// (-RepulsiveFraction × the neighbour edges, re-drawn on collision). The graph is data only: the embedding's dimension,
/// penalties, constraint and start are Invoke-Mde's parameters, so one graph can be re-solved with other settings. Warnings report entities with fewer than k neighbours and the connected components;
/// -ConnectComponents links components so that none floats away. Deterministic under -Seed whatever the thread count.</para>
/// </summary>
/// <example>
///   <code>New-SyntheticCollection -Size Small | New-CooccurrenceMatrix | Invoke-NeighborPreservation -NeighborCount 15 -Seed 42 -OutFile ./neighbors.parquet</code>
///   <para>The atlas pipeline's third stage: a 15-nearest-neighbour graph by shortest path over the co-occurrence graph, persisted.</para>
/// </example>
/// <example>
///   <code>Import-Csv ./cells.csv | Invoke-NeighborPreservation -IdProperty cell -NeighborCount 5</code>
///   <para>Vectors from a table: every numeric column except 'cell' is a feature.</para>
/// </example>
/// <example>
///   <code>$graph = Import-EmbedArtifact ./cooc.parquet | Invoke-NeighborPreservation -Normalize Ppmi -ConnectComponents</code>
///   <para>Positive PMI weights, components linked so that none floats away.</para>
/// </example>
/// <example>
///   <code>$cooc | Invoke-NeighborPreservation -NeighborCount 10,15,30 -OutFile ./neighbors.parquet | Invoke-Mde -MaxIterations 50</code>
///   <para>A sweep of the graph's k: three graphs (neighbors.nk10.parquet, neighbors.nk15.parquet, neighbors.nk30.parquet), each embedded; the co-occurrence is computed once.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "NeighborPreservation", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(NeighborGraph))]
public sealed class InvokeNeighborPreservationCommand : EmbedPSStageCmdlet
{
    /// <summary>A CooccurrenceMatrix, an Embedding, or rows of a numeric table (one pipeline object per entity).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public object InputObject { get; set; } = null!;

    /// <summary>An EmbedPS artifact (co-occurrence or embedding), a plain Parquet table or a CSV file of numbers.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "InputPath", ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string InputPath { get; set; } = "";

    /// <summary>Table input: the columns used as features (default: every numeric column except the id).</summary>
    [Parameter, ValidateNotNull] public string[]? FeatureProperty { get; set; }

    /// <summary>Table input: the id column (default: a column named entity, id or name; else the row number).</summary>
    [Parameter] public string? IdProperty { get; set; }

    /// <summary>Neighbours per entity, k (default: PyMDE's rule, about 1 % of all pairs: 5 up to 1,200 entities, 15 from 3,001). Several values (10,15,30) sweep: one graph per value.</summary>
    [Parameter, ValidateSetting(typeof(NeighborPreservationSettings), nameof(NeighborPreservationSettings.NeighborCount))] public int[] NeighborCount { get; set; } = Array.Empty<int>();

    /// <summary>Graph input: how co-occurrence weights are normalised first: SmoothedCosine (default), Cosine, Jaccard, Pmi (lift), Ppmi or None.</summary>
    [Parameter] public SimilarityNormalization Normalize { get; set; } = NeighborPreservationSettings.Normalize.Default;

    /// <summary>Graph input: similarity → length: InverseLog (default, 1/ln(1+w)), Reciprocal (1/w) or NegativeLog (−ln(w/max w)).</summary>
    [Parameter] public SimilarityTransform Transform { get; set; } = NeighborPreservationSettings.Transform.Default;

    /// <summary>Neighbourhood radius: graphs default to 3 × the 75th percentile of edge lengths; vectors to no limit.</summary>
    [Parameter, ValidateSetting(typeof(NeighborPreservationSettings), nameof(NeighborPreservationSettings.MaxDistance))] public double MaxDistance { get; set; }

    /// <summary>Link the neighbour graph's connected components so that none floats away (see docs/neighbors.md for how).</summary>
    [Parameter] public SwitchParameter ConnectComponents { get; set; }

    /// <summary>Repulsive pairs per neighbour edge (PyMDE: 1 for its default Centered constraint; use 0.5 for a graph you will embed with -Constraint Standardized).</summary>
    [Parameter, ValidateSetting(typeof(NeighborPreservationSettings), nameof(NeighborPreservationSettings.RepulsiveFraction))] public double RepulsiveFraction { get; set; } = NeighborPreservationSettings.RepulsiveFraction.Default;

    /// <summary>Vector input: Auto (default: exact up to 10,000 rows or n²·d ≤ 5·10¹⁰), Exact or Approximate (NN-descent).</summary>
    [Parameter] public KnnAlgorithm Algorithm { get; set; } = NeighborPreservationSettings.Algorithm.Default;

    /// <summary>Seed of every random choice (repulsive pairs, NN-descent, spectral start); the same seed gives the same graph.</summary>
    [Parameter] public int Seed { get; set; } = NeighborPreservationSettings.Seed.Default;

    private readonly List<PSObject> _rows = new();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "InputPath")
        {
            var path = ResolveInputPath(InputPath);
            Process(ReadInput(path), path);
            return;
        }
        var value = InputObject is PSObject ps ? ps.BaseObject : InputObject;
        switch (value)
        {
            case CooccurrenceMatrix or Embedding:
                Process(value, null);
                break;
            case FileInfo file:
                Process(ReadInput(file.FullName), file.FullName);
                break;
            case NeighborGraph or Core.Collections.EntityCollectionSet or Core.Projection.Projection:
                ThrowTerminatingError(new ErrorRecord(new ArgumentException(
                    $"Invoke-NeighborPreservation takes a CooccurrenceMatrix, an Embedding or numeric table rows, not {Grammar.WithArticle(value.GetType().Name)}." +
                    (value is Core.Collections.EntityCollectionSet ? " Pipe it through New-CooccurrenceMatrix first." : "")),
                    "WrongInputType", ErrorCategory.InvalidType, value));
                break;
            default:
                _rows.Add(InputObject as PSObject ?? PSObject.AsPSObject(InputObject));
                break;
        }
    }

    protected override void EndProcessing()
    {
        if (_rows.Count == 0) return;
        var names = new List<string>();
        foreach (var property in _rows[0].Properties)
        {
            if (property.MemberType is PSMemberTypes.NoteProperty or PSMemberTypes.Property or PSMemberTypes.AliasProperty or PSMemberTypes.ScriptProperty)
                names.Add(property.Name);
        }
        var columns = new List<Array>();
        foreach (var name in names)
        {
            var column = new object?[_rows.Count];
            for (int r = 0; r < _rows.Count; r++)
            {
                var v = _rows[r].Properties[name]?.Value;
                column[r] = v is PSObject p ? p.BaseObject : v;
            }
            columns.Add(column);
        }
        FeatureTable table;
        try { table = FeatureTable.FromColumns(names, columns, IdProperty, FeatureProperty, "pipeline input"); }
        catch (EmbedPSException ex) { ThrowTerminatingError(ToErrorRecord(ex, null)); return; }
        Process(table, null);
    }

    private object ReadInput(string path)
    {
        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase))
        {
            // The same fast reader as the rest of EmbedPS (not Import-Csv): text cells, parsed as invariant-culture numbers.
            return RunStage("Reading " + Path.GetFileName(path), (_, ct) => FeatureTable.ReadCsv(path, IdProperty, FeatureProperty, ct), path);
        }
        return RunStage("Reading " + Path.GetFileName(path), (_, ct) =>
        {
            try
            {
                return ArtifactStore.Read(path, ct);
            }
            catch (EmbedPSException ex) when (ex.ErrorId == "NotAnEmbedPSArtifact")
            {
                var (columns, order, _) = ParquetArtifact.ReadPlain(path, ct);
                return FeatureTable.FromColumns(order.ToList(), order.Select(n => columns[n]).ToList(), IdProperty, FeatureProperty, $"'{path}'");
            }
        }, path);
    }

    private void Process(object input, string? path)
    {
        var sweep = new SweepBinding().Bind(this, NeighborPreservationSettings.All.Append(NeighborPreservationSettings.Algorithm).ToList(), NeighborPreservationSettings.Seed, Seed);
        foreach (var combination in sweep.Combinations)
        {
            if (combination.IsSweep) WriteVerbose($"Invoke-NeighborPreservation: {SweepBinding.Describe(combination, sweep.Swept)}.");
            Process(input, path, NeighborPreservationSettings.Resolve(combination.Values), sweep);
        }
    }

    private void Process(object input, string? path, NeighborPreservationOptions options, SweepBinding sweep)
    {
        var parameters = ProvenanceParameters(options);
        var bound = MyInvocation.BoundParameters;
        if (input is CooccurrenceMatrix)
        {
            foreach (var name in new[] { nameof(Algorithm), nameof(FeatureProperty), nameof(IdProperty) })
                if (bound.ContainsKey(name)) WriteWarning($"-{name} applies to vector input only; it is ignored for a co-occurrence matrix.");
        }
        else
        {
            foreach (var name in new[] { nameof(Normalize), nameof(Transform) })
                if (bound.ContainsKey(name)) WriteWarning($"-{name} applies to co-occurrence input only; it is ignored for vectors.");
        }
        NeighborGraph result;
        switch (input)
        {
            case CooccurrenceMatrix matrix:
            {
                var provenance = Provenance.Derived(matrix.Provenance, ArtifactKind.Cooccurrence, parameters);
                WriteVerbose($"Input: {matrix}.");
                result = RunStage("Neighbour preservation", (log, ct) => NeighborPreservationBuilder.FromCooccurrence(matrix, options, log, ct, provenance), path);
                break;
            }
            case Embedding embedding:
            {
                var provenance = Provenance.Derived(embedding.Provenance, ArtifactKind.Embedding, parameters);
                WriteVerbose($"Input: {embedding}.");
                result = RunStage("Neighbour preservation", (log, ct) => NeighborPreservationBuilder.FromVectors(embedding.Entities, embedding.Popularity,
                    embedding.Coordinates, embedding.Dimension, options, log, ct, provenance), path);
                break;
            }
            case FeatureTable table:
            {
                var provenance = new Provenance();
                foreach (var (key, value) in parameters) provenance.Parameters[key] = value;
                provenance.Parameters["Features"] = string.Join(",", table.FeatureNames);
                if (path is not null) provenance.Inputs.Add(ArtifactInput.FromFile(path));
                WriteVerbose($"Input: {table.Entities.Count:N0} rows × {table.Dimension} features ({string.Join(", ", table.FeatureNames.Take(6))}{(table.Dimension > 6 ? ", …" : "")}).");
                var popularity = new int[table.Entities.Count];
                result = RunStage("Neighbour preservation", (log, ct) => NeighborPreservationBuilder.FromVectors(table.Entities, popularity,
                    table.Data, table.Dimension, options, log, ct, provenance), path);
                break;
            }
            default:
                ThrowTerminatingError(new ErrorRecord(new InvalidDataException($"'{path}' holds {Grammar.WithArticle(input.GetType().Name)}, not a co-occurrence matrix, embedding or numeric table."),
                    "WrongArtifactKind", ErrorCategory.InvalidData, path));
                return;
        }
        // The graph records its k (the core does); the cmdlet adds which settings it swept.
        result.Provenance.WithSettings([], sweep.Swept);
        WriteVerbose(result.ToString());
        SaveAndEmit(result, sweep, result.Provenance);
    }

    private static Dictionary<string, object?> ProvenanceParameters(NeighborPreservationOptions o) => new()
    {
        ["NeighborCount"] = o.NeighborCount,
        ["Normalize"] = o.Normalize.ToString(),
        ["Transform"] = o.Transform.ToString(),
        ["MaxDistance"] = o.MaxDistance,
        ["ConnectComponents"] = o.ConnectComponents,
        ["RepulsiveFraction"] = o.RepulsiveFraction,
        ["Algorithm"] = o.Algorithm.ToString(),
        ["Seed"] = o.Seed,
    };
}
