using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Collections;

namespace EmbedPS.Commands.Collections;

/// <summary>
/// <para type="synopsis">Pre-filters entity collections: drops rare entities, too-small or too-large collections, and keeps the most popular entities.</para>
/// <para type="description">The filter the embedding method needs before counting co-occurrences. -MinCollections drops entities
/// that are in fewer collections; -Top keeps the N most popular entities (ties go to the entity imported first);
/// -MinCollectionSize and -MaxCollectionSize drop collections by their number of members; -Include keeps only the listed entity ids
/// and -Exclude drops the listed ones (both applied once, first).
/// Dropping entities shrinks collections and dropping collections lowers popularity, so the limits are
/// applied in rounds until nothing changes; -Verbose reports what each round dropped. Filtering only removes: a collection dropped
/// for being too large stays dropped. Empty collections and entities left in no collection are always removed, and the result is
/// renumbered densely in the original order with weights, values and timestamps kept aligned.
/// The result's provenance records the parameters and the upstream artifact; -OutFile saves it.</para>
/// </summary>
/// <example>
///   <code>Import-EntityCollection ./ratings.csv -CollectionProperty user_id -EntityProperty anime_id | Select-EntityCollection -MinCollections 5 -MinCollectionSize 2 -Verbose</code>
///   <para>Drops anime rated by fewer than 5 users and users left with fewer than 2 anime, repeating until stable.</para>
/// </example>
/// <example>
///   <code>Select-EntityCollection -InputPath ./plays.parquet -Top 20000 -MaxCollectionSize 5000 -OutFile ./filtered.parquet</code>
///   <para>Keeps the 20,000 most popular entities, drops collections with more than 5,000 members, and saves the result.</para>
/// </example>
/// <example>
///   <code>$set | Select-EntityCollection -Exclude 'unknown', 'various-artists'</code>
///   <para>Removes placeholder entities before building the co-occurrence matrix.</para>
/// </example>
[Cmdlet(VerbsCommon.Select, "EntityCollection", DefaultParameterSetName = InputObjectSet, SupportsShouldProcess = true)]
[OutputType(typeof(EntityCollectionSet))]
public sealed class SelectEntityCollectionCommand : EmbedPSStageCmdlet
{
    private const string InputObjectSet = "InputObject";
    private const string PathSet = "Path";

    /// <summary>The collections to filter, e.g. from Import-EntityCollection or New-SyntheticCollection.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    public EntityCollectionSet InputObject { get; set; } = null!;

    /// <summary>A collections artifact to read instead of pipeline input; file objects bind by their FullName.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string InputPath { get; set; } = "";

    /// <summary>Drop entities that are in fewer than this many collections (counted on what is left after each round). 0: no limit.</summary>
    [Parameter]
    [ValidateSetting(typeof(CollectionFilterSettings), nameof(CollectionFilterSettings.MinCollections))]
    public int MinCollections { get; set; } = CollectionFilterSettings.MinCollections.Default;

    /// <summary>Keep only the N most popular entities (ties go to the entity imported first). 0: no limit.</summary>
    [Parameter]
    [ValidateSetting(typeof(CollectionFilterSettings), nameof(CollectionFilterSettings.Top))]
    public int Top { get; set; } = CollectionFilterSettings.Top.Default;

    /// <summary>Drop collections with fewer members than this (counted on the entities that are left). 0: no limit (empty collections are always dropped).</summary>
    [Parameter]
    [ValidateSetting(typeof(CollectionFilterSettings), nameof(CollectionFilterSettings.MinCollectionSize))]
    public int MinCollectionSize { get; set; } = CollectionFilterSettings.MinCollectionSize.Default;

    /// <summary>Drop collections with more members than this (e.g. bots or "everything" lists). 0: no limit.</summary>
    [Parameter]
    [ValidateSetting(typeof(CollectionFilterSettings), nameof(CollectionFilterSettings.MaxCollectionSize))]
    public int MaxCollectionSize { get; set; } = CollectionFilterSettings.MaxCollectionSize.Default;

    /// <summary>Keep only these entity ids (exact match; integer ids may be given as numbers or text).</summary>
    [Parameter]
    public object[]? Include { get; set; }

    /// <summary>Drop these entity ids (exact match; integer ids may be given as numbers or text).</summary>
    [Parameter]
    public object[]? Exclude { get; set; }

    protected override void ProcessRecord()
    {
        var input = ParameterSetName == PathSet ? ReadArtifact<EntityCollectionSet>(InputPath) : InputObject;
        var options = CollectionFilterSettings.Resolve(SettingBinding.Given(this, CollectionFilterSettings.All)) with
        {
            Include = Include?.Select(Unwrap).ToArray(),
            Exclude = Exclude?.Select(Unwrap).ToArray(),
        };
        var result = RunStage("Filtering collections", (log, ct) => CollectionFilter.Apply(input, options, log, ct, out _), input);
        SaveAndEmit(result);
    }

    private static object Unwrap(object value) => value is PSObject ps ? ps.BaseObject : value;
}
