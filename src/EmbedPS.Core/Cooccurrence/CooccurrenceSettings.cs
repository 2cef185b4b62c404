using EmbedPS.Core.Common;
using static EmbedPS.Core.Common.Settings;

namespace EmbedPS.Core.Cooccurrence;

/// <summary>
/// New-CooccurrenceMatrix's options, declared once: name, default, range and help. <see cref="CooccurrenceOptions"/>, the
/// cmdlets' parameters and the pipeline's <c>Cooccurrence</c> section take their defaults and ranges from here.
/// </summary>
public static class CooccurrenceSettings
{
    public static readonly Setting<CollectionWeighting> CollectionWeighting = Enum("CollectionWeighting", Cooccurrence.CollectionWeighting.None, "What a collection adds to each of its pairs.");
    public static readonly Setting<PairWeight> PairWeight = Enum("PairWeight", Cooccurrence.PairWeight.Count, "How two items' weights combine.");
    public static readonly Setting<double> ValueScale = Double("ValueScale", 0, "Value kernel scale (0: off).", 0);
    public static readonly Setting<double> TimeScale = Double("TimeScale", 0, "Time kernel scale (0: off).", 0);
    public static readonly Setting<int?> MaxPartners = OptionalInt("MaxPartners", "Keep each entity's K strongest partners (0: exact; default: exact when it fits the memory budget).", 0);
    public static readonly Setting<double?> MaxMemoryGB = OptionalDouble("MaxMemoryGB", "Memory budget in GiB (default: 75 % of what the process may use).", 0.001, 1_000_000);

    public static IReadOnlyList<SettingSpec> All { get; } = new SettingSpec[] { CollectionWeighting, PairWeight, ValueScale, TimeScale, MaxPartners, MaxMemoryGB };

    public static CooccurrenceOptions Resolve(IReadOnlyDictionary<string, object?> values) => new()
    {
        CollectionWeighting = CollectionWeighting.From(values),
        PairWeight = PairWeight.From(values),
        ValueScale = ValueScale.From(values),
        TimeScale = TimeScale.From(values),
        MaxPartners = MaxPartners.From(values) ?? CooccurrenceOptions.AutoPartners,
        MaxMemoryBytes = MaxMemoryGB.From(values) is { } gb ? (long)(gb * (1L << 30)) : null,
    };
}
