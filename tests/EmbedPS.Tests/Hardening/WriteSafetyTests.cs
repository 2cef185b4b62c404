using System.Diagnostics;
using System.Management.Automation;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 14, lost work and write safety: targets are checked before computing, -WhatIf changes nothing, temp files never linger.</summary>
[Trait("Category", "Unit")]
public sealed class WriteSafetyTests
{
    /// <summary>Runs a script whose upstream stage sets $script:ran; returns (ran, error record).</summary>
    private static (bool Ran, ErrorRecord? Error) Run(string script)
    {
        using var ps = PowerShellHost.Create();
        ps.AddScript("$script:ran = $false; try { $null = . { " + script + " } } catch { $script:err = $_ }; [pscustomobject]@{ Ran = $script:ran; Err = $script:err }");
        var result = Assert.Single(ps.Invoke());
        return ((bool)result.Properties["Ran"].Value, result.Properties["Err"].Value as ErrorRecord);
    }

    private const string Upstream = "New-SyntheticCollection -Size Tiny | ForEach-Object { $script:ran = $true; $_ }";

    [Fact]
    public void NoClobber_is_refused_before_the_computation()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cooc.parquet");
        File.WriteAllText(path, "keep");
        var (ran, error) = Run($"{Upstream} | New-CooccurrenceMatrix -OutFile '{path}' -NoClobber -ErrorAction Stop");
        Assert.False(ran);
        Assert.NotNull(error);
        Assert.StartsWith("NoClobber", error!.FullyQualifiedErrorId);
        Assert.Contains(path, error.Exception.Message);
        Assert.Equal("keep", File.ReadAllText(path));
    }

    [Fact]
    public void A_read_only_target_without_Force_is_refused_before_the_computation()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cooc.parquet");
        File.WriteAllText(path, "keep");
        File.SetAttributes(path, FileAttributes.ReadOnly);
        var (ran, error) = Run($"{Upstream} | New-CooccurrenceMatrix -OutFile '{path}' -ErrorAction Stop");
        Assert.False(ran);
        Assert.StartsWith("FileReadOnly", error!.FullyQualifiedErrorId);
        Assert.Contains(path, error.Exception.Message);
        File.SetAttributes(path, FileAttributes.Normal);
    }

    [Fact]
    public void A_directory_target_is_refused_before_the_computation_and_named()
    {
        using var dir = new TempDirectory();
        var path = dir.File("already-a-folder");
        Directory.CreateDirectory(path);
        var (ran, error) = Run($"{Upstream} | New-CooccurrenceMatrix -OutFile '{path}' -ErrorAction Stop");
        Assert.False(ran);
        Assert.StartsWith("TargetIsDirectory", error!.FullyQualifiedErrorId);
        Assert.Contains(path, error.Exception.Message);
        Assert.DoesNotContain(".tmp", error.Exception.Message);
    }

    [Fact]
    public void An_unwritable_folder_is_refused_before_the_computation_and_the_target_is_named()
    {
        using var dir = new TempDirectory();
        var file = dir.File("plain-file");
        File.WriteAllText(file, "x");
        var path = Path.Combine(file, "sub", "cooc.parquet"); // a folder under a file can never be created
        var (ran, error) = Run($"{Upstream} | New-CooccurrenceMatrix -OutFile '{path}' -ErrorAction Stop");
        Assert.False(ran);
        Assert.StartsWith("TargetFolderNotWritable", error!.FullyQualifiedErrorId);
        Assert.Contains(path, error.Exception.Message);
        Assert.DoesNotContain(".tmp", error.Exception.Message);
    }

    [Fact]
    public void Force_WhatIf_leaves_a_read_only_target_read_only_and_unchanged()
    {
        using var dir = new TempDirectory();
        foreach (var (name, command) in new[] { ("a.parquet", "Export-EmbedArtifact -Path '{0}' -Force -WhatIf"), ("b.parquet", "New-CooccurrenceMatrix -OutFile '{0}' -Force -WhatIf"), ("c.png", "Export-EmbeddingPreview -Path '{0}' -Force -WhatIf") })
        {
            var path = dir.File(name);
            File.WriteAllText(path, "keep");
            File.SetAttributes(path, FileAttributes.ReadOnly);
            var (_, error) = Run($"New-SyntheticCollection -Size Tiny | {string.Format(command, path)}");
            Assert.Null(error);
            Assert.True((File.GetAttributes(path) & FileAttributes.ReadOnly) != 0, $"{command}: the read-only bit was cleared under -WhatIf");
            Assert.Equal("keep", File.ReadAllText(path));
            File.SetAttributes(path, FileAttributes.Normal);
        }
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Force_overwrites_a_read_only_target()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.parquet");
        File.WriteAllText(path, "old");
        File.SetAttributes(path, FileAttributes.ReadOnly);
        var (_, error) = Run($"New-SyntheticCollection -Size Tiny | Export-EmbedArtifact -Path '{path}' -Force");
        Assert.Null(error);
        Assert.Equal(ArtifactKind.Collections, ParquetArtifact.Read(path).Kind);
    }

    [Fact]
    public void MetadataPath_follows_NoClobber_and_read_only_and_is_untouched_when_the_command_fails()
    {
        using var dir = new TempDirectory();
        var meta = dir.File("meta.csv");
        File.WriteAllText(meta, "keep");
        var (_, error) = Run($"New-SyntheticCollection -Size Tiny -MetadataPath '{meta}' -NoClobber -ErrorAction Stop | Out-Null");
        Assert.StartsWith("NoClobber", error!.FullyQualifiedErrorId);
        Assert.Equal("keep", File.ReadAllText(meta));

        File.SetAttributes(meta, FileAttributes.ReadOnly);
        (_, error) = Run($"New-SyntheticCollection -Size Tiny -MetadataPath '{meta}' -ErrorAction Stop | Out-Null");
        Assert.StartsWith("FileReadOnly", error!.FullyQualifiedErrorId);
        Assert.Equal("keep", File.ReadAllText(meta));
        File.SetAttributes(meta, FileAttributes.Normal);

        // The artifact target is unusable: the command fails and the metadata file keeps its content.
        var folder = dir.File("folder.parquet");
        Directory.CreateDirectory(folder);
        (_, error) = Run($"New-SyntheticCollection -Size Tiny -MetadataPath '{meta}' -OutFile '{folder}' -ErrorAction Stop | Out-Null");
        Assert.NotNull(error);
        Assert.Equal("keep", File.ReadAllText(meta));

        (_, error) = Run($"New-SyntheticCollection -Size Tiny -MetadataPath '{meta}' -ErrorAction Stop | Out-Null");
        Assert.Null(error);
        Assert.StartsWith("entity,name,group", File.ReadAllText(meta));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void A_killed_writers_temp_file_is_removed_by_the_next_write_but_a_live_writers_is_kept()
    {
        using var dir = new TempDirectory();
        var target = dir.File("out.parquet");
        using var dead = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        int deadPid = dead.Id;
        dead.Kill();
        dead.WaitForExit();
        using var live = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            Thread.Sleep(50);
            var stale = dir.File($".out.parquet.{deadPid}-0badc0de.tmp");
            var liveTemp = dir.File($".out.parquet.{live.Id}-0000feed.tmp");
            var other = dir.File($".other.parquet.{deadPid}-0badc0de.tmp");
            foreach (var f in new[] { stale, liveTemp, other }) File.WriteAllBytes(f, new byte[4096]);
            AtomicFile.Write(target, s => s.Write(new byte[] { 1, 2, 3 }));
            Assert.False(File.Exists(stale), "the dead writer's temp file was left behind");
            Assert.True(File.Exists(liveTemp), "a live writer's temp file was deleted");
            Assert.True(File.Exists(other), "another target's temp file was deleted");
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(target));
        }
        finally
        {
            live.Kill();
            live.WaitForExit();
        }
    }

    [Fact]
    public void A_failed_write_names_the_target_and_leaves_no_temp_file()
    {
        using var dir = new TempDirectory();
        var target = dir.File("out.bin");
        var ex = Assert.Throws<EmbedPSException>(() => AtomicFile.Write(target, _ => throw new IOException("disk full")));
        Assert.Equal(target, ex.File);
        Assert.Contains(target, ex.Message);
        Assert.DoesNotContain(".tmp", ex.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
