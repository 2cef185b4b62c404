using System.Collections;
using System.Diagnostics;
using System.Text.Json;
using EmbedPS.Core.Common;
using EmbedPS.Core.Pipeline;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Pipeline;

/// <summary>What a run may delete (only what it proves this pipeline wrote) and how it reports a folder it cannot use.</summary>
public sealed partial class PipelineRunnerTests
{
    private static Hashtable Renamed(Hashtable table, string title)
    {
        ((Hashtable)table["Atlas"]!)["Title"] = title;   // only the atlas reruns: a new run in seconds
        return table;
    }

    [Fact]
    public void Second_pipeline_in_the_same_output_folder_is_refused_and_loses_nothing()
    {
        using var dir = new TempDirectory();
        var first = Fixture(dir);
        var a1 = Run(dir, first);
        var a2 = Run(dir, Renamed(first, "A2"));
        var served = LatestLink.Target(dir.File("out"));
        var before = Directory.GetFileSystemEntries(dir.File("out"), "*", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal).ToArray();

        var second = Fixture(dir);
        second["Name"] = "other";
        second["KeepRuns"] = 1;
        var refused = Assert.Throws<EmbedPSException>(() => Run(dir, second));
        Assert.Equal("PipelineOutputInUse", refused.ErrorId);
        Assert.Contains("belongs to the pipeline 'test'", refused.Message);
        Assert.Contains("the pipeline 'other'", refused.Message);
        Assert.Contains(PipelineRunStore.OwnerFileName, refused.Message);
        // -WhatIf (the plan) is refused the same way: the other pipeline's map is never read as this one's start.
        Assert.Equal("PipelineOutputInUse", Assert.Throws<EmbedPSException>(() => new PipelineRunner(Config(dir, second)).Plan(false)).ErrorId);
        var after = Directory.GetFileSystemEntries(dir.File("out"), "*", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal).ToArray();
        Assert.Equal(before, after);
        Assert.Equal(served, LatestLink.Target(dir.File("out")));
        Assert.True(Directory.Exists(a1.RunPath) && Directory.Exists(a2.RunPath));

        // A folder written before owner records: the runs in it name their pipeline, which is enough to refuse.
        File.Delete(dir.File("out/" + PipelineRunStore.OwnerFileName));
        Assert.Contains("as its run", Assert.Throws<EmbedPSException>(() => Run(dir, second)).Message);
        Assert.Equal(before.Where(p => !p.EndsWith(PipelineRunStore.OwnerFileName, StringComparison.Ordinal)), Directory.GetFileSystemEntries(dir.File("out"), "*", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal));

        // Its own pipeline claims it back and goes on.
        Assert.Equal("succeeded", Run(dir, Renamed(first, "A3")).Status);
        Assert.Equal("test", JsonSerializer.Deserialize<PipelineOwner>(File.ReadAllText(dir.File("out/" + PipelineRunStore.OwnerFileName)), PipelineRun.JsonOptions)!.Pipeline);
    }

    [Fact]
    public void Pruning_deletes_only_this_pipelines_runs_and_cache_entries()
    {
        using var dir = new TempDirectory();
        var table = Fixture(dir);
        table["KeepRuns"] = 1;
        var first = Run(dir, table);
        var runs = dir.File("out/runs");
        var cache = dir.File("out/cache");
        // What a person put there: folders that sort before and after the runs, files in cache/ with and without EmbedPS-like
        // names, a JSON file that is not a cache record, a record naming another pipeline, and a dot-file ending in .tmp.
        var personal = new[]
        {
            Path.Combine(runs, "00000000-000000-000", "notes.txt"),
            Path.Combine(runs, "zz-keep", "notes.txt"),
            Path.Combine(runs, first.RunId + "-copy", "run.json"),
            Path.Combine(cache, "notes.txt"),
            Path.Combine(cache, "mde-0123456789abcdef0123.parquet"),
            Path.Combine(cache, "readme.json"),
            Path.Combine(cache, "atlas-feedfacefeedfacefeed.json"),
            Path.Combine(dir.File("out"), ".my-draft.tmp"),
        };
        foreach (var file in personal)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, "mine");
        }
        // A copied run log inside the person's folder names this pipeline, but not that folder: not a run of it.
        File.Copy(first.LogPath, Path.Combine(runs, first.RunId + "-copy", "run.json"), overwrite: true);
        File.WriteAllText(Path.Combine(cache, "atlas-feedfacefeedfacefeed.json"),
            JsonSerializer.Serialize(new StageSidecar { Stage = "atlas", Key = "feedfacefeedfacefeed", Pipeline = "someone-else" }));

        var second = Run(dir, Renamed(table, "Second"));
        var third = Run(dir, Renamed(table, "Third"));
        Assert.Contains(first.RunId, second.PrunedRuns);
        Assert.Contains(second.RunId, third.PrunedRuns);
        Assert.False(Directory.Exists(first.RunPath));
        Assert.False(Directory.Exists(second.RunPath));
        Assert.True(Directory.Exists(third.RunPath));
        foreach (var file in personal) Assert.True(File.Exists(file), $"'{file}' was deleted");
        // The atlas entries of the pruned runs went with them; the kept run's entries stay.
        Assert.Equal(new[] { $"atlas-{third.Stages.Single(s => s.Name == "atlas").Key}" },
            Directory.GetDirectories(cache, "atlas-*").Select(Path.GetFileName));
        foreach (var stage in third.Stages) Assert.True(File.Exists(Path.Combine(cache, $"{stage.Name}-{stage.Key}.json")), stage.Name);
    }

    [Fact]
    public void Unwritable_output_folder_names_the_real_cause_not_a_lock()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("a-file"), "");
        var cases = new List<(string Path, string Cause)>
        {
            (Path.Combine(dir.File("a-file"), "site"), "not a folder"),
        };
        string? mounted = null;
        if (OperatingSystem.IsLinux() && Environment.UserName == "root" && TryMountReadOnly(dir.File("ro")))
        {
            mounted = dir.File("ro");
            cases.Add((Path.Combine(mounted, "site"), "read-only"));
            cases.Add((mounted, "read-only"));
        }
        if (!OperatingSystem.IsWindows() && Environment.UserName != "root")
        {
            Directory.CreateDirectory(dir.File("locked"));
            File.SetUnixFileMode(dir.File("locked"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
            cases.Add((dir.File("locked"), "permission denied"));
        }
        try
        {
            foreach (var (path, cause) in cases)
            {
                var clock = Stopwatch.StartNew();
                var error = Assert.Throws<EmbedPSException>(() => PipelineLock.Acquire(path, "p", "run-a"));
                Assert.Equal("PipelineOutputUnwritable", error.ErrorId);
                Assert.Contains(path, error.Message);
                Assert.Contains(cause, error.Message);
                Assert.DoesNotContain("already running", error.Message);
                Assert.True(clock.ElapsedMilliseconds < 1000, "no waiting for a holder that does not exist");
            }
        }
        finally
        {
            if (mounted is not null) Process.Start("umount", mounted)!.WaitForExit();
        }
    }

    [Fact]
    public void Lock_held_by_another_pipeline_names_that_pipeline_and_its_process()
    {
        using var dir = new TempDirectory();
        using var held = PipelineLock.Acquire(dir.Path, "nightly-a", "run-1", "/srv/a/pipeline.psd1");
        var refused = Assert.Throws<EmbedPSException>(() => PipelineLock.Acquire(dir.Path, "nightly-b", "run-2"));
        Assert.Equal("PipelineLocked", refused.ErrorId);
        Assert.Contains("pipeline 'nightly-a' (/srv/a/pipeline.psd1)", refused.Message);
        Assert.Contains($"process {Environment.ProcessId}", refused.Message);
        Assert.Contains("The pipeline 'nightly-b' was refused", refused.Message);
        Assert.DoesNotContain("'nightly-b' is already running", refused.Message);
    }

    private static bool TryMountReadOnly(string folder)
    {
        Directory.CreateDirectory(folder);
        try
        {
            using var mount = Process.Start(new ProcessStartInfo("mount", $"-t tmpfs -o ro,size=64k tmpfs {folder}") { RedirectStandardError = true })!;
            mount.WaitForExit();
            return mount.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    [Fact]
    public void A_run_says_what_changed_since_the_served_run()
    {
        using var dir = new TempDirectory();
        var table = Fixture(dir);
        Run(dir, table);
        string Reason(PipelineRun run, string stage) => run.Stages.Single(s => s.Name == stage).Reason ?? "";

        ((Hashtable)table["Mde"]!)["MaxIterations"] = 61;
        var settings = Run(dir, table);
        Assert.Equal($"not cached: setting Mde.MaxIterations changed since run {settings.PreviousRun}", Reason(settings, "mde"));
        Assert.Equal($"not cached: its input from stage 'mde' changed since run {settings.PreviousRun}", Reason(settings, "projection-1"));

        var metadata = File.ReadAllLines(dir.File("entities.csv"));
        metadata[1] = metadata[1].Replace(",G", ",X", StringComparison.Ordinal);
        File.WriteAllLines(dir.File("entities.csv"), metadata);
        var meta = Run(dir, table);
        Assert.Equal($"not cached: metadata 'entities.csv' changed since run {meta.PreviousRun}", Reason(meta, "atlas"));
        Assert.Equal($"not cached: metadata 'entities.csv' changed since run {meta.PreviousRun}", Reason(meta, "preview"));

        WriteInput(dir, (collection, _) => collection % 20 != 3);
        var input = Run(dir, table);
        Assert.Equal($"not cached: input 'plays.csv' changed since run {input.PreviousRun}", Reason(input, "import"));
        Assert.Equal($"not cached: its input from stage 'import' changed since run {input.PreviousRun}", Reason(input, "cooccurrence"));
    }
}
