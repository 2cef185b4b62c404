using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Compute;
using EmbedPS.Core.Mde;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 14, other: articles in messages; -Device Auto uses the CPU until the CUDA path is verified.</summary>
[Trait("Category", "Unit")]
public sealed class MessagesAndDeviceTests
{
    [Theory]
    [InlineData("embedding", "an embedding")]
    [InlineData("Embedding", "an Embedding")]
    [InlineData("EntityCollectionSet", "an EntityCollectionSet")]
    [InlineData("neighbor-graph", "a neighbor-graph")]
    [InlineData("NeighborGraph", "a NeighborGraph")]
    [InlineData("user", "a user")]
    [InlineData("hour", "an hour")]
    [InlineData("projection", "a projection")]
    public void Articles_are_generated(string word, string expected) => Assert.Equal(expected, Grammar.WithArticle(word));

    [Fact]
    public void A_wrong_kind_error_reads_as_English()
    {
        using var dir = new TempDirectory();
        var path = dir.File("e.parquet");
        EmbeddingArtifact.Write(EmbedPS.Tests.Projections.ProjectionTestData.AsEmbedding(new float[] { 0, 1, 2, 3, 4, 5 }, 2), path);
        var ex = Assert.Throws<EmbedPSException>(() => ParquetArtifact.Read(path, ArtifactKind.NeighborGraph));
        Assert.Contains("is an embedding artifact; expected a neighbor-graph artifact", ex.Message);

        using var ps = PowerShellHost.Create();
        ps.AddScript($"try {{ Get-EntityNeighbor -InputObject (New-Object psobject) -Entity 1 -ErrorAction Stop }} catch {{ $_.Exception.Message }}");
        var message = Assert.Single(ps.Invoke()).ToString();
        Assert.DoesNotContain(" a PSObject", message);
        Assert.DoesNotContain(" a Embedding", message);
    }

    private sealed class Log : IStageLog
    {
        public List<string> Lines { get; } = new();
        public void Progress(double fraction, string status) { }
        public void Verbose(string message) => Lines.Add(message);
        public void Warning(string message) => Lines.Add(message);
    }

    [Fact]
    public void Device_Auto_chooses_the_CPU_and_says_the_GPU_path_is_unverified()
    {
        var graph = Mde.MdeTestData.Small(40);
        var problem = MdeProblem.FromGraph(graph.Graph, graph.Configuration);
        var log = new Log();
        using var backend = MinimumDistortionEmbedding.CreateBackend(problem, new MdeOptions { Device = MdeDevice.Auto }, log);
        Assert.IsType<CpuMdeBackend>(backend);
        Assert.Contains(log.Lines, l => l.StartsWith("Device Auto:", StringComparison.Ordinal) && l.Contains("unverified"));
    }
}
