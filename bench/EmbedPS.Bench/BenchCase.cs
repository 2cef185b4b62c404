namespace EmbedPS.Bench;

/// <summary>What one timed run reports besides its time: counts and quality numbers (non-zeros, distortion, recall...).</summary>
public sealed class BenchOutcome : Dictionary<string, double>
{
}

/// <summary>
/// One row of the benchmark table: a candidate (EmbedPS) and, where one exists, a baseline measured in the same
/// process run on the same input. Add a case by subclassing this in Cases/; the harness finds it by reflection.
/// </summary>
public abstract class BenchCase
{
    /// <summary>The pipeline stage, e.g. "cooccurrence".</summary>
    public abstract string Stage { get; }
    /// <summary>The input, e.g. "atlas (50k entities, 300k collections)".</summary>
    public abstract string Dataset { get; }
    /// <summary>What the baseline is, e.g. "dictionary accumulation"; null when there is none.</summary>
    public virtual string? Baseline => null;
    /// <summary>Short name used by --filter.</summary>
    public string Name => $"{Stage}/{Dataset}";

    /// <summary>Builds the inputs; not timed.</summary>
    public abstract void Prepare();
    /// <summary>The EmbedPS implementation; timed.</summary>
    public abstract BenchOutcome RunCandidate();
    /// <summary>The baseline on the same input; timed. Only called when <see cref="Baseline"/> is set.</summary>
    public virtual BenchOutcome RunBaseline() => throw new NotSupportedException();
    /// <summary>Drops inputs and results so the next case starts clean.</summary>
    public virtual void Cleanup() { }
}
