using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Tests.Collections;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 14: entity order is a function of the data alone, the same on every path (memory, artifact, shuffled files, shards).</summary>
[Trait("Category", "Unit")]
public sealed class EntityOrderTests
{
    private static EntityCollectionSet Tiny() => SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny with { Seed = 3 }).Collections;

    private static void AssertSameMatrix(CooccurrenceMatrix expected, CooccurrenceMatrix actual)
    {
        Assert.True(expected.Entities.SequenceEqual(actual.Entities), "entity order differs");
        Assert.Equal(expected.Popularity, actual.Popularity);
        Assert.Equal(expected.RowOffsets, actual.RowOffsets);
        Assert.Equal(expected.ColumnIndices, actual.ColumnIndices);
        Assert.Equal(expected.Weights, actual.Weights);
    }

    [Fact]
    public void A_re_imported_collections_artifact_keeps_the_entity_order_and_gives_the_same_matrix()
    {
        using var dir = new TempDirectory();
        var set = Tiny();
        var path = dir.File("collections.parquet");
        CollectionsArtifact.Write(set, path);
        var back = CollectionsArtifact.Read(path);
        Assert.True(set.Entities.SequenceEqual(back.Entities), $"in memory {set.Entities.GetText(0)}, {set.Entities.GetText(1)}…; re-imported {back.Entities.GetText(0)}, {back.Entities.GetText(1)}…");
        Assert.True(set.Collections.SequenceEqual(back.Collections));
        Assert.Equal(set.Members, back.Members);
        AssertSameMatrix(CooccurrenceBuilder.Build(set), CooccurrenceBuilder.Build(back));
    }

    [Fact]
    public void Shuffled_CSV_rows_give_the_same_entity_order()
    {
        using var dir = new TempDirectory();
        var set = Tiny();
        var rows = new List<string>();
        for (int c = 0; c < set.CollectionCount; c++)
            foreach (var e in set.MembersOf(c)) rows.Add($"{set.Collections.GetText(c)},{set.Entities.GetText(e)}");
        var shuffled = rows.OrderBy(_ => Random.Shared.Next()).ToList();
        var a = CsvImportTests.Write(dir, "a.csv", "collection,entity\n" + string.Join("\n", rows) + "\n");
        var b = CsvImportTests.Write(dir, "b.csv", "collection,entity\n" + string.Join("\n", shuffled) + "\n");
        var fromA = CsvImportTests.Import(a);
        var fromB = CsvImportTests.Import(b);
        Assert.True(fromA.Entities.SequenceEqual(fromB.Entities));
        Assert.True(fromA.Entities.SequenceEqual(set.Entities));
        Assert.Equal(fromA.Members, fromB.Members);
        // Text ids are sorted ordinally, whatever the order they arrive in.
        var text = CsvImportTests.Import(CsvImportTests.Write(dir, "t.csv", "collection,entity\nu2,zeta\nu1,alpha\nu2,Mid\nu1,zeta\n"));
        Assert.Equal(new[] { "Mid", "alpha", "zeta" }, Enumerable.Range(0, 3).Select(text.Entities.GetText));
        Assert.Equal(new[] { "u1", "u2" }, Enumerable.Range(0, 2).Select(text.Collections.GetText));
    }

    [Fact]
    public void Edge_lists_and_merges_use_the_same_order_whatever_the_row_or_shard_order()
    {
        using var dir = new TempDirectory();
        var a = CsvImportTests.Write(dir, "a.csv", "entity_a,entity_b,weight\n30,30,2\n10,10,2\n20,20,1\n30,10,2\n20,30,1\n");
        var b = CsvImportTests.Write(dir, "b.csv", "entity_a,entity_b,weight\n20,30,1\n10,10,2\n30,10,2\n20,20,1\n30,30,2\n");
        var ma = EdgeListImporter.Read(a);
        var mb = EdgeListImporter.Read(b);
        Assert.Equal(new long[] { 10, 20, 30 }, ma.Entities.Integers);
        AssertSameMatrix(ma, mb);

        var set = Tiny();
        int half = set.CollectionCount / 2;
        EntityCollectionSet Part(int from, int to)
        {
            var builder = new EntityCollectionBuilder();
            for (int c = from; c < to; c++) foreach (var e in set.MembersOf(c)) builder.Add(set.Collections.GetText(c), set.Entities.GetText(e));
            return builder.Build();
        }
        var first = CooccurrenceBuilder.Build(Part(0, half));
        var second = CooccurrenceBuilder.Build(Part(half, set.CollectionCount));
        var forward = CooccurrenceMerger.Merge(new[] { first, second });
        var backward = CooccurrenceMerger.Merge(new[] { second, first });
        AssertSameMatrix(forward, backward);
        AssertSameMatrix(CooccurrenceBuilder.Build(set), forward);
    }
}
