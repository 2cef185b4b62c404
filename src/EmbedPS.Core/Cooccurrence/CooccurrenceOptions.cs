namespace EmbedPS.Core.Cooccurrence;

/// <summary>How much one collection adds to each of its pairs, from its size s.</summary>
public enum CollectionWeighting
{
    /// <summary>1 per collection: plain co-occurrence counts.</summary>
    None,
    /// <summary>1/(s−1): every collection gives each of its members a total weight of 1, however long it is.</summary>
    InverseSize,
    /// <summary>1/ln(1+s): long collections count less, but still more than short ones.</summary>
    InverseLogSize,
}

/// <summary>How the per-item weights of the two members of a pair combine.</summary>
public enum PairWeight
{
    /// <summary>1: per-item weights are ignored.</summary>
    Count,
    /// <summary>w_i · w_j.</summary>
    WeightProduct,
    /// <summary>min(w_i, w_j).</summary>
    WeightMin,
}

/// <summary>Options of <see cref="CooccurrenceBuilder"/> and <see cref="CooccurrenceMerger"/>.</summary>
public sealed record CooccurrenceOptions
{
    /// <summary>Automatic cap: exact when the whole matrix fits the memory budget, otherwise the largest cap that fits.</summary>
    public const int AutoPartners = -1;
    /// <summary>No cap: the exact matrix, or an error when it does not fit.</summary>
    public const int AllPartners = 0;
    /// <summary>The automatic cap never goes below this many partners (neighbour search downstream needs a margin above its k).</summary>
    public const int MinimumAutoPartners = 50;

    public CollectionWeighting CollectionWeighting { get; init; } = CooccurrenceSettings.CollectionWeighting.Default;
    public PairWeight PairWeight { get; init; } = CooccurrenceSettings.PairWeight.Default;
    /// <summary>Scale of the value kernel exp(−|v_i − v_j| / scale); 0 turns it off.</summary>
    public double ValueScale { get; init; }
    /// <summary>Scale of the time kernel exp(−|t_i − t_j| / scale), in the unit of the timestamps (seconds for date-times); 0 turns it off.</summary>
    public double TimeScale { get; init; }
    /// <summary><see cref="AutoPartners"/> (default), <see cref="AllPartners"/>, or K &gt; 0: keep each entity's K strongest partners (union of both sides).</summary>
    public int MaxPartners { get; init; } = AutoPartners;
    /// <summary>
    /// Memory budget in bytes for the output and working buffers; null: 75% of the memory this process may use (the GC's hard
    /// limit, a container's cgroup limit: <see cref="Common.MemoryBudget"/>) minus what is already in use, and no more than
    /// the machine has available.
    /// </summary>
    public long? MaxMemoryBytes { get; init; }
    /// <summary>Threads; -1 for all cores. The result does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    internal void Validate()
    {
        if (ValueScale < 0 || double.IsNaN(ValueScale) || double.IsInfinity(ValueScale))
            throw new ArgumentException($"ValueScale must be a positive finite number (0 turns the value kernel off); got {ValueScale}.");
        if (TimeScale < 0 || double.IsNaN(TimeScale) || double.IsInfinity(TimeScale))
            throw new ArgumentException($"TimeScale must be a positive finite number (0 turns the time kernel off); got {TimeScale}.");
        if (MaxPartners < AutoPartners) throw new ArgumentException($"MaxPartners must be -1 (automatic), 0 (all) or a positive count; got {MaxPartners}.");
        if (MaxMemoryBytes is <= 0) throw new ArgumentException($"The memory budget must be positive; got {MaxMemoryBytes} bytes.");
        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1) throw new ArgumentException($"MaxDegreeOfParallelism must be -1 or positive; got {MaxDegreeOfParallelism}.");
    }

    internal long ResolveMemoryBudget()
    {
        if (MaxMemoryBytes is { } explicitBudget) return explicitBudget;
        // What the process may use (GC hard limit, container limit, the machine's available memory: Common.MemoryBudget).
        var limits = Common.MemoryBudget.Read();
        long inUse = GC.GetTotalMemory(false);
        return Math.Max(64L << 20, Math.Min((long)(limits.LimitBytes * 0.75) - inUse, limits.AvailableBytes(inUse)));
    }

    internal int ResolveThreads() => MaxDegreeOfParallelism > 0 ? MaxDegreeOfParallelism : Environment.ProcessorCount;
}
