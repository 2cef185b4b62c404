using System.Reflection;

namespace EmbedPS.Tests.Architecture;

/// <summary>
/// Every test class carries exactly one tier, so that <c>build.ps1 -Task Test -Fast</c> (the Unit tier) skips only what it
/// says it skips. A single slow method of a Unit class may add <c>[Trait("Category", "Slow")]</c>.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TestTierTests
{
    internal static readonly string[] Tiers = ["Unit", "Integration", "Browser", "Slow"];

    [Fact]
    public void Every_test_class_has_exactly_one_tier()
    {
        var wrong = new List<string>();
        foreach (var type in typeof(TestTierTests).Assembly.GetTypes().Where(t => t.GetMethods().Any(IsTest)))
        {
            var tiers = Categories(type.GetCustomAttributesData()).ToList();
            if (tiers.Count != 1 || !Tiers.Contains(tiers[0])) wrong.Add($"{type.FullName}: [{string.Join(", ", tiers)}]");
            foreach (var method in type.GetMethods().Where(IsTest))
            {
                var own = Categories(method.GetCustomAttributesData()).ToList();
                if (own.Any(c => c != "Slow")) wrong.Add($"{type.FullName}.{method.Name}: a method may only add Slow, not [{string.Join(", ", own)}]");
            }
        }
        Assert.True(wrong.Count == 0, "Give each test class one [Trait(\"Category\", …)] of " + string.Join(", ", Tiers) + ":\n" + string.Join("\n", wrong));
    }

    private static bool IsTest(MethodInfo method) => method.GetCustomAttributes<FactAttribute>(inherit: true).Any();

    private static IEnumerable<string> Categories(IEnumerable<CustomAttributeData> attributes) =>
        attributes.Where(a => a.AttributeType == typeof(TraitAttribute) && (string?)a.ConstructorArguments[0].Value == "Category")
            .Select(a => (string)a.ConstructorArguments[1].Value!);
}
