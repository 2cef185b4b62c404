using System.Diagnostics;
using System.Management.Automation;
using EmbedPS.Core.Collections;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Infrastructure;

/// <summary>Cmdlet plumbing through an in-process PowerShell host: typed output, progress, ShouldProcess, Ctrl+C, errors.</summary>
[Trait("Category", "Integration")]
public class CmdletHostTests
{
    [Fact]
    public void Emits_a_typed_object_and_reports_progress()
    {
        using var ps = PowerShellHost.Create();
        ps.AddCommand("New-SyntheticCollection").AddParameter("Size", "Small").AddParameter("Seed", 5);
        var result = ps.Invoke();
        Assert.False(ps.HadErrors);
        var set = Assert.IsType<EntityCollectionSet>(Assert.Single(result).BaseObject);
        Assert.Equal(20_000, set.CollectionCount);
        Assert.NotEmpty(ps.Streams.Progress);
        Assert.Contains(ps.Streams.Progress, p => p.RecordType == ProgressRecordType.Completed);
    }

    [Fact]
    public void WhatIf_writes_nothing_but_still_emits()
    {
        using var dir = new TempDirectory();
        using var ps = PowerShellHost.Create();
        var path = dir.File("x.parquet");
        ps.AddCommand("New-SyntheticCollection").AddParameter("Size", "Tiny").AddParameter("OutFile", path).AddParameter("WhatIf");
        var result = ps.Invoke();
        Assert.Single(result);
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Stop_cancels_promptly_and_leaves_no_file()
    {
        using var dir = new TempDirectory();
        using var ps = PowerShellHost.Create();
        var path = dir.File("atlas.parquet");
        ps.AddCommand("New-SyntheticCollection").AddParameter("Size", "Atlas").AddParameter("OutFile", path);
        var async = ps.BeginInvoke();
        Thread.Sleep(300);
        var clock = Stopwatch.StartNew();
        ps.Stop();
        Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(async));
        // Generous bound: "prompt" means the core checks its token, not that it runs to the end (several seconds).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stop took {clock.Elapsed}");
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Core_errors_become_error_records_with_stable_ids()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.parquet");
        File.WriteAllText(path, "nope");
        using var ps = PowerShellHost.Create();
        ps.AddCommand("Import-EmbedArtifact").AddParameter("LiteralPath", path);
        ErrorRecord? record = null;
        try
        {
            var output = ps.Invoke();
            Assert.Empty(output);
            record = ps.Streams.Error.FirstOrDefault();
        }
        catch (RuntimeException ex)
        {
            record = ex.ErrorRecord;
        }
        Assert.NotNull(record);
        Assert.Equal("ArtifactUnreadable,EmbedPS.Commands.Artifacts.ImportEmbedArtifactCommand", record!.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, record.CategoryInfo.Category);
        Assert.Contains(path, record.Exception.Message);
    }
}
