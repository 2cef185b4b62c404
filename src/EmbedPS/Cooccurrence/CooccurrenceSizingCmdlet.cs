using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Cooccurrence;

namespace EmbedPS.Commands.Cooccurrence;

/// <summary>
/// The memory and thread parameters that New-CooccurrenceMatrix and Merge-CooccurrenceMatrix share, and their mapping to
/// <see cref="CooccurrenceOptions"/>.
/// </summary>
public abstract class CooccurrenceSizingCmdlet : EmbedPSStageCmdlet
{
    /// <summary>Keep each entity's K strongest partners (union of both sides, so symmetric). Not given: exact when it fits the memory budget, otherwise as many as fit. 0: always exact (error when it does not fit).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxPartners { get; set; }

    /// <summary>Memory budget for the matrix and working buffers, in GiB. Default: 75% of the memory available to the process, minus what it already uses.</summary>
    [Parameter]
    [ValidateRange(0.001, 1_000_000.0)]
    public double MaxMemoryGB { get; set; }

    /// <summary>Number of threads (default: all cores). The result is identical whatever the number.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int ThrottleLimit { get; set; }

    /// <summary>Options with -MaxPartners (automatic when not given), -MaxMemoryGB and -ThrottleLimit applied.</summary>
    protected CooccurrenceOptions SizingOptions() => new()
    {
        MaxPartners = MyInvocation.BoundParameters.ContainsKey(nameof(MaxPartners)) ? MaxPartners : CooccurrenceOptions.AutoPartners,
        MaxMemoryBytes = MaxMemoryGB > 0 ? (long)(MaxMemoryGB * (1L << 30)) : null,
        MaxDegreeOfParallelism = ThrottleLimit > 0 ? ThrottleLimit : -1,
    };
}
