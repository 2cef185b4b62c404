using System.Management.Automation;
using EmbedPS.Core.Collections;
using EmbedPS.Tests.Infrastructure;
using SkiaSharp;

namespace EmbedPS.Tests.Preview;

/// <summary>Export-EmbeddingPreview in-process: binding, ShouldProcess, PassThru, errors.</summary>
[Trait("Category", "Integration")]
public sealed class ExportEmbeddingPreviewCommandTests
{
    [Fact]
    public void Pipeline_object_is_drawn_and_PassThru_returns_the_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("collections.png");
        using var ps = PowerShellHost.Create();
        ps.AddScript($"New-SyntheticCollection -Size Tiny | Export-EmbeddingPreview -Path '{path}' -Width 500 -Height 400 -PassThru");
        var output = ps.Invoke();
        Assert.False(ps.HadErrors, string.Join("\n", ps.Streams.Error));
        var file = Assert.IsType<FileInfo>(Assert.Single(output).BaseObject);
        Assert.Equal(path, file.FullName);
        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal(500, bitmap.Width);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void WhatIf_writes_nothing()
    {
        using var dir = new TempDirectory();
        var path = dir.File("whatif.png");
        using var ps = PowerShellHost.Create();
        ps.AddScript($"New-SyntheticCollection -Size Tiny | Export-EmbeddingPreview -Path '{path}' -WhatIf -PassThru");
        var output = ps.Invoke();
        Assert.Empty(output);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Projection_with_metadata_and_a_view_that_does_not_apply()
    {
        using var dir = new TempDirectory();
        var (projection, _) = PreviewImageTests.PlantedClusters(50);
        var csv = dir.File("meta.csv");
        File.WriteAllLines(csv, new[] { "entity,name,group" }.Concat(Enumerable.Range(0, projection.EntityCount).Select(i => $"{i},item {i},g{i % 4}")));
        using var ps = PowerShellHost.Create();
        ps.AddScript("param($p, $csv, $out) $p | Export-EmbeddingPreview -Path $out -Metadata $csv -ColorProperty group -LabelTop 5 -Theme Dark -PassThru")
            .AddArgument(projection).AddArgument(csv).AddArgument(dir.File("p.png"));
        Assert.Single(ps.Invoke());
        Assert.False(ps.HadErrors, string.Join("\n", ps.Streams.Error));

        using var ps2 = PowerShellHost.Create();
        ps2.AddScript("param($p, $out) try { $p | Export-EmbeddingPreview -Path $out -View Distortion -ErrorAction Stop } catch { $_.FullyQualifiedErrorId }")
            .AddArgument(projection).AddArgument(dir.File("bad.png"));
        Assert.StartsWith("ViewNotApplicable", Assert.Single(ps2.Invoke()).ToString());
        Assert.False(File.Exists(dir.File("bad.png")));
    }

    [Fact]
    public void NoClobber_keeps_an_existing_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("keep.png");
        File.WriteAllText(path, "keep");
        using var ps = PowerShellHost.Create();
        ps.AddScript($"New-SyntheticCollection -Size Tiny | Export-EmbeddingPreview -Path '{path}' -NoClobber");
        try { ps.Invoke(); } catch (RuntimeException) { }
        Assert.True(ps.HadErrors);
        Assert.Equal("keep", File.ReadAllText(path));
    }
}
