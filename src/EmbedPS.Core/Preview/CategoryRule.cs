namespace EmbedPS.Core.Preview;

/// <summary>
/// The one rule, for the preview and the atlas alike, by which a column that is not all numbers is a category (it can
/// colour) rather than free text: at most 20 distinct values, or at most <see cref="MaxCategories"/> with each value on 4
/// or more entities on average. It lives here, below the atlas, so both layers read it.
/// </summary>
public static class CategoryRule
{
    /// <summary>Most categories a column may have and still colour and filter the map.</summary>
    public const int MaxCategories = 1000;

    public static bool IsCategory(int distinct, int present) => distinct <= MaxCategories && present > 0 && (distinct <= 20 || distinct * 4 <= present);

    /// <summary>"a text column (300 distinct values in 300 entities)": why <see cref="IsCategory"/> said no, for messages.</summary>
    public static string DescribeText(int distinct, int present) =>
        $"a text column ({distinct:N0}{(distinct > MaxCategories ? "+" : "")} distinct values in {present:N0} entities; a category has at most 20, or at most {MaxCategories:N0} with 4 or more entities each)";
}
