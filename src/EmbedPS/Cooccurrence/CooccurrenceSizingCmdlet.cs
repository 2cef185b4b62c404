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
    [ValidateSetting(typeof(CooccurrenceSettings), nameof(CooccurrenceSettings.MaxPartners))]
    public int MaxPartners { get; set; }

    /// <summary>Memory budget for the matrix and working buffers, in GiB. Default: 75% of the memory available to the process, minus what it already uses.</summary>
    [Parameter]
    [ValidateSetting(typeof(CooccurrenceSettings), nameof(CooccurrenceSettings.MaxMemoryGB))]
    public double MaxMemoryGB { get; set; }

    /// <summary>Number of threads (default: all cores). The result is identical whatever the number.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int ThrottleLimit { get; set; }

    /// <summary>Options with -MaxPartners (automatic when not given), -MaxMemoryGB and -ThrottleLimit applied.</summary>
    protected CooccurrenceOptions SizingOptions() => CooccurrenceSettings.Resolve(SettingBinding.Given(this, CooccurrenceSettings.All)) with
    {
        MaxDegreeOfParallelism = ThrottleLimit > 0 ? ThrottleLimit : -1,
    };
}
