using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Mde;

[Trait("Category", "Integration")]
public class InvokeMdeCommandTests
{
    [Fact]
    public void Piped_graph_gives_typed_embedding_and_artifact_round_trips()
    {
        using var temp = new TempDirectory();
        var graph = MdeTestData.Small(80);
        var path = Path.Combine(temp.Path, "embedding.parquet");
        using var ps = PowerShellHost.Create();
        ps.AddCommand("Invoke-Mde").AddParameter("MaxIterations", 25).AddParameter("Seed", 4).AddParameter("Device", "Cpu").AddParameter("OutFile", path).AddParameter("Verbose");
        var output = ps.Invoke(new[] { graph.Graph });
        Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error));
        var embedding = Assert.IsType<Embedding>(Assert.Single(output).BaseObject);
        Assert.Equal(graph.EntityCount, embedding.EntityCount);
        Assert.Equal(25, embedding.Iterations);
        Assert.Equal(25, embedding.DistortionHistory.Length);
        Assert.StartsWith("CPU", embedding.Device);
        Assert.Contains(ps.Streams.Verbose, v => v.Message.StartsWith("iteration "));
        Assert.Equal(4L, Convert.ToInt64(embedding.Provenance.Parameters["Seed"]));

        var back = EmbeddingArtifact.Read(path);
        Assert.Equal(embedding.Coordinates, back.Coordinates);
        Assert.Equal(embedding.DistortionHistory, back.DistortionHistory);
        Assert.Equal(embedding.FinalDistortion, back.FinalDistortion);
        Assert.Equal(embedding.Iterations, back.Iterations);
        Assert.Equal(embedding.StopReason, back.StopReason);
        Assert.True(embedding.Entities.SequenceEqual(back.Entities));
    }

    [Fact]
    public void Input_path_and_what_if()
    {
        using var temp = new TempDirectory();
        var graph = MdeTestData.Small(60);
        var graphPath = Path.Combine(temp.Path, "graph.parquet");
        NeighborGraphArtifact.Write(graph, graphPath);
        var outPath = Path.Combine(temp.Path, "whatif.parquet");
        using var ps = PowerShellHost.Create();
        ps.AddCommand("Invoke-Mde").AddParameter("InputPath", graphPath).AddParameter("MaxIterations", 5).AddParameter("OutFile", outPath).AddParameter("WhatIf");
        var output = ps.Invoke();
        Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error));
        Assert.IsType<Embedding>(Assert.Single(output).BaseObject);
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public void GPU_without_CUDA_is_a_clear_error()
    {
        if (EmbedPS.Core.Compute.IlgpuRuntime.TryCreateCudaContext(out _) is { } context) { context.Dispose(); return; } // a CUDA machine: nothing to check here
        using var ps = PowerShellHost.Create();
        ps.AddCommand("Invoke-Mde").AddParameter("Device", "Gpu").AddParameter("MaxIterations", 2);
        var error = Assert.ThrowsAny<System.Management.Automation.RuntimeException>(() => ps.Invoke(new[] { MdeTestData.Small(40).Graph }));
        Assert.Equal("NoGpu", error.ErrorRecord.FullyQualifiedErrorId.Split(',')[0]);
    }
}
