using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using Xunit;

namespace EmbedPS.Tests.Collections;

/// <summary>The integer-id fast path (a collections artifact read back) builds the same set as adding every row's ids as text.</summary>
[Trait("Category", "Unit")]
public sealed class IntegerRowsTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public void Integer_rows_give_the_same_set_as_text_rows(int seed, bool withValues)
    {
        // Unsorted rows with repeated pairs, negative and large ids, collections both grouped and interleaved.
        var random = new Random(seed);
        int count = 5_000;
        var collections = new long[count];
        var entities = new long[count];
        var weights = new float[count];
        var values = withValues ? new double[count] : null;
        var timestamps = withValues ? new double[count] : null;
        for (int i = 0; i < count; i++)
        {
            collections[i] = i < count / 2 ? i / 40 : random.Next(-50, 150) * 1_000_000_007L;
            entities[i] = random.Next(0, 4) == 0 ? -random.Next(0, 30) : random.Next(0, 300) + (random.Next(0, 2) == 0 ? 0 : long.MaxValue - 1_000);
            weights[i] = random.Next(1, 9) / 4f;
            if (values is not null) values[i] = random.NextDouble();
            if (timestamps is not null) timestamps[i] = random.Next(0, 1000);
        }
        var builder = new EntityCollectionBuilder(hasWeights: true, withValues, withValues);
        for (int i = 0; i < count; i++)
            builder.Add(collections[i].ToString(System.Globalization.CultureInfo.InvariantCulture), entities[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                weights[i], values?[i] ?? 0, timestamps?[i] ?? 0);
        var expected = builder.Build();
        var actual = EntityCollectionBuilder.FromIntegerRows(collections, entities, weights, values, timestamps);

        Assert.True(expected.Entities.IsInteger && actual.Entities.IsInteger);
        Assert.Equal(expected.Entities.Integers, actual.Entities.Integers);
        Assert.Equal(expected.Collections.Integers, actual.Collections.Integers);
        Assert.Equal(expected.CollectionOffsets, actual.CollectionOffsets);
        Assert.Equal(expected.Members, actual.Members);
        Assert.Equal(expected.Weights, actual.Weights);
        Assert.Equal(expected.Values, actual.Values);
        Assert.Equal(expected.Timestamps, actual.Timestamps);
        Assert.Equal(expected.DuplicatePairsMerged, actual.DuplicatePairsMerged);
        Assert.True(actual.DuplicatePairsMerged > 0);
        // Ids ranked by value, members of each collection strictly increasing.
        Assert.True(actual.Entities.Integers!.Zip(actual.Entities.Integers!.Skip(1)).All(p => p.First < p.Second));
        for (int c = 0; c < actual.CollectionCount; c++)
        {
            var members = actual.MembersOf(c).ToArray();
            Assert.True(members.Zip(members.Skip(1)).All(p => p.First < p.Second));
        }
    }

    [Fact]
    public void Integer_rows_without_weights_have_none_and_an_empty_input_is_an_error()
    {
        var set = EntityCollectionBuilder.FromIntegerRows([7, 7, 3], [2, 2, 9], null, null, null);
        Assert.Null(set.Weights);
        Assert.Equal(new long[] { 3, 7 }, set.Collections.Integers);
        Assert.Equal(new long[] { 2, 9 }, set.Entities.Integers);
        Assert.Equal(new[] { 1, 0 }, set.Members);
        Assert.Equal(1, set.DuplicatePairsMerged);
        var error = Assert.Throws<EmbedPSException>(() => EntityCollectionBuilder.FromIntegerRows([], [], null, null, null));
        Assert.Equal("NoRows", error.ErrorId);
    }

    [Fact]
    public void A_text_id_after_integer_ids_turns_the_ids_into_text_sorted_ordinally()
    {
        var builder = new EntityCollectionBuilder();
        builder.Add("10", "5");
        builder.Add("10", "40");
        builder.Add("9", "5");
        builder.Add("9", "007");   // not canonical: every entity id becomes text from here on
        builder.Add("10", "x");
        builder.Add("10", "40");   // a duplicate pair, after the switch
        var set = builder.Build();
        Assert.False(set.Entities.IsInteger);
        Assert.Equal(new[] { "007", "40", "5", "x" }, Enumerable.Range(0, set.EntityCount).Select(set.Entities.GetText));
        Assert.Equal(new long[] { 9, 10 }, set.Collections.Integers);
        Assert.Equal(new[] { 0, 2, 1, 2, 3 }, set.Members);          // 9: {007, 5}; 10: {40, 5, x}
        Assert.Equal(new[] { 0, 2, 5 }, set.CollectionOffsets);
        Assert.Equal(1, set.DuplicatePairsMerged);
    }

    [Fact]
    public void Ids_on_both_sides_of_the_array_indexed_range_keep_their_value_order_and_survive_a_second_build()
    {
        var builder = new EntityCollectionBuilder();
        long[] ids = [4_194_304, 4_194_303, 0, -1, 17, long.MaxValue, 4_194_303, 0];
        foreach (var id in ids) builder.Add("1", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var set = builder.Build();
        Assert.Equal(new long[] { -1, 0, 17, 4_194_303, 4_194_304, long.MaxValue }, set.Entities.Integers);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, set.Members);
        Assert.Equal(2, set.DuplicatePairsMerged);
        // The builder stays usable after Build: the renumbered ids are still found (no new entity appears).
        builder.Add("2", "17");
        builder.Add("2", "4194304");
        var again = builder.Build();
        Assert.Equal(set.Entities.Integers, again.Entities.Integers);
        Assert.Equal(new[] { 2, 4 }, again.MembersOf(1).ToArray());
    }

    [Fact]
    public void Integer_ids_kept_as_text_are_sorted_ordinally()
    {
        var builder = new EntityCollectionBuilder();
        builder.KeepEntityIdsAsText();
        builder.Add("1", "10");
        builder.Add("1", "9");
        var set = builder.Build();
        Assert.False(set.Entities.IsInteger);
        Assert.Equal(new[] { "10", "9" }, Enumerable.Range(0, 2).Select(set.Entities.GetText));
        Assert.True(set.Collections.IsInteger);
    }

    [Theory]
    [InlineData("0", true, 0L)]
    [InlineData("7", true, 7L)]
    [InlineData("-7", true, -7L)]
    [InlineData("9223372036854775807", true, long.MaxValue)]
    [InlineData("-9223372036854775808", true, long.MinValue)]
    [InlineData("9223372036854775808", false, 0L)]
    [InlineData("-0", false, 0L)]
    [InlineData("007", false, 0L)]
    [InlineData("+7", false, 0L)]
    [InlineData(" 7", false, 0L)]
    [InlineData("7 ", false, 0L)]
    [InlineData("-", false, 0L)]
    [InlineData("", false, 0L)]
    [InlineData("1e3", false, 0L)]
    [InlineData("\u0667", false, 0L)] // an Arabic-Indic digit
    public void Canonical_integer_text_is_what_formatting_the_integer_gives(string text, bool canonical, long expected)
    {
        text = System.Text.RegularExpressions.Regex.Unescape(text);
        Assert.Equal(canonical, EntityIds.TryParseCanonicalInteger(text, out long value));
        if (canonical)
        {
            Assert.Equal(expected, value);
            Assert.Equal(text, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
