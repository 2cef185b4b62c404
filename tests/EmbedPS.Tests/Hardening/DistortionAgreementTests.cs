using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;
using Xunit;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 14: Measure-Embedding and Invoke-Mde share one distortion implementation and report the same number.</summary>
[Trait("Category", "Unit")]
public sealed class DistortionAgreementTests
{
    [Theory]
    [InlineData(ConstraintKind.Anchored, PenaltyKind.Log)]
    [InlineData(ConstraintKind.Centered, PenaltyKind.Log)]
    [InlineData(ConstraintKind.Standardized, PenaltyKind.Huber)]
    public void Measure_Embedding_reports_Invoke_Mdes_final_distortion(ConstraintKind constraint, PenaltyKind repulsive)
    {
        var small = Mde.MdeTestData.Small(120);
        var configuration = small.Configuration.Clone();
        configuration.Constraint = constraint;
        configuration.RepulsivePenalty = repulsive;
        if (constraint == ConstraintKind.Anchored)
        {
            // Anchor both ends of the first attractive edges, so that anchor–anchor edges exist (Invoke-Mde drops them).
            var anchors = new SortedSet<int>();
            for (int e = 0; anchors.Count < 12 && e < small.EdgeCount; e++)
                if (small.Weights[e] > 0) { anchors.Add(small.EdgeSource[e]); anchors.Add(small.EdgeTarget[e]); }
            configuration.AnchorIndices = anchors.ToArray();
            var rng = new Random(4);
            configuration.AnchorCoordinates = Enumerable.Range(0, anchors.Count * configuration.Dimension).Select(_ => (float)rng.NextDouble()).ToArray();
            int anchorEdges = Enumerable.Range(0, small.EdgeCount).Count(e => anchors.Contains(small.EdgeSource[e]) && anchors.Contains(small.EdgeTarget[e]));
            Assert.True(anchorEdges > 0);
        }
        var graph = small.Graph;
        var embedding = MinimumDistortionEmbedding.Run(graph, configuration, new MdeOptions { MaxIterations = 40, Device = MdeDevice.Cpu });
        // Anchors are not part of an embedding's provenance: the anchored case passes its configuration, the others are read back.
        var report = EmbeddingQuality.Measure(embedding, graph, 5, null, null, configuration: constraint == ConstraintKind.Anchored ? configuration : null);
        Assert.NotNull(report.AverageDistortion);
        Assert.NotNull(embedding.FinalDistortion);
        double measured = report.AverageDistortion!.Value, optimised = embedding.FinalDistortion!.Value;
        Assert.True(Math.Abs(measured - optimised) <= 1e-5 * Math.Max(1e-3, Math.Abs(optimised)),
            $"Measure-Embedding {measured:R} vs Invoke-Mde {optimised:R}");
    }

    [Fact]
    public void The_Log_penalty_keeps_precision_at_small_distances()
    {
        // log(1 − e^{−t}) for t = 1e-9 is log(1e-9 · (1 − 5e-10)) ≈ −20.7233; 1 − Math.Exp(−t) loses most digits there.
        double t = 1e-9;
        double expected = Math.Log(t) + Math.Log(1 - t / 2 + t * t / 6);
        Assert.Equal(expected, MdePenalty.Log(1.0).Value(t), 12);
    }
}
