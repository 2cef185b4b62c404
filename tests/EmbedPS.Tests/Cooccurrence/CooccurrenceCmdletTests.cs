using System.Diagnostics;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Cooccurrence;

[Trait("Category", "Integration")]
public class CooccurrenceCmdletTests
{
    [Fact]
    public void CtrlC_during_the_computation_stops_promptly_and_writes_no_file()
    {
        using var dir = new TempDirectory();
        using var ps = PowerShellHost.Create();
        var path = dir.File("c.parquet");
        ps.AddScript($"$ProgressPreference = 'Continue'; New-SyntheticCollection -EntityCount 4000 -CollectionCount 50000 | New-CooccurrenceMatrix -OutFile '{path}'");
        using var computing = new ManualResetEventSlim();
        ps.Streams.Progress.DataAdded += (_, e) =>
        {
            if (ps.Streams.Progress[e.Index].Activity.StartsWith("Counting co-occurrences", StringComparison.Ordinal)) computing.Set();
        };
        var run = ps.BeginInvoke();
        Assert.True(computing.Wait(TimeSpan.FromSeconds(120)), "the computation never reported progress");
        var clock = Stopwatch.StartNew();
        ps.Stop(); // what Ctrl+C does
        clock.Stop();
        Assert.True(run.IsCompleted);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed}");
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path)); // neither the artifact nor a temporary file
    }

    [Fact]
    public void Errors_surface_as_records_with_their_ErrorId()
    {
        using var ps = PowerShellHost.Create();
        ps.AddScript("New-SyntheticCollection -Size Tiny | New-CooccurrenceMatrix -MaxPartners 0 -MaxMemoryGB 0.001");
        var output = ps.Invoke();
        Assert.Empty(output);
        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("CooccurrenceTooLarge", error.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
        Assert.Contains("-MaxPartners", error.Exception.Message);
    }
}
