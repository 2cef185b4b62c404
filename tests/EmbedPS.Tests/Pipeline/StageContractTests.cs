using System.Collections;
using System.Management.Automation;
using System.Reflection;
using EmbedPS.Commands.Atlas;
using EmbedPS.Commands.Collections;
using EmbedPS.Commands.Preview;
using EmbedPS.Commands.Cooccurrence;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Commands.Mde;
using EmbedPS.Commands.NeighborPreservation;
using EmbedPS.Commands.Projection;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Preview;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Pipeline;
using EmbedPS.Core.Projection;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Pipeline;

/// <summary>
/// One contract per stage: a stage's options are declared once (its settings class), and the cmdlet's parameters, their
/// defaults (which Get-Help shows), their validation, the pipeline's schema and the pipeline's cache key all follow it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class StageContractTests
{
    public static TheoryData<Type, Type, string[]> Stages => new()
    {
        { typeof(SelectEntityCollectionCommand), typeof(CollectionFilterSettings), Array.Empty<string>() },
        { typeof(NewCooccurrenceMatrixCommand), typeof(CooccurrenceSettings), Array.Empty<string>() },
        { typeof(InvokeMdeCommand), typeof(MdeSettings), Array.Empty<string>() },
        { typeof(InvokeNeighborPreservationCommand), typeof(NeighborPreservationSettings), Array.Empty<string>() },
        // Name and the Refine* options exist only in a pipeline (a layout's name in the atlas; refining last night's map).
        { typeof(ConvertToProjectionCommand), typeof(ProjectionSettings), new[] { "Name", "RefineLearningRate", "RefineEpochs" } },
        // Enabled exists only in a pipeline (whether to write previews at all).
        { typeof(ExportEmbeddingPreviewCommand), typeof(PreviewSettings), new[] { "Enabled" } },
        { typeof(ExportEmbeddingAtlasCommand), typeof(AtlasSettings), Array.Empty<string>() },
    };

    private static IEnumerable<SettingSpec> Declared(Type settings) =>
        settings.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => typeof(SettingSpec).IsAssignableFrom(f.FieldType)).Select(f => (SettingSpec)f.GetValue(null)!);

    [Theory]
    [MemberData(nameof(Stages))]
    public void Every_option_is_one_cmdlet_parameter_with_the_settings_default_and_validation(Type cmdlet, Type settings, string[] pipelineOnly)
    {
        var fresh = Activator.CreateInstance(cmdlet)!;
        foreach (var setting in Declared(settings).Where(s => !pipelineOnly.Contains(s.Name)))
        {
            var property = cmdlet.GetProperty(setting.Name);
            Assert.True(property is not null && property.GetCustomAttributes<ParameterAttribute>().Any(), $"{cmdlet.Name} has no parameter -{setting.Name}");
            var type = Nullable.GetUnderlyingType(property!.PropertyType) ?? property.PropertyType;
            var expected = setting.GetType().GetGenericArguments()[0];
            expected = Nullable.GetUnderlyingType(expected) ?? expected;
            // A sweepable setting is an array of its type on the cmdlet (one value behaves as before); no other setting is.
            if (setting.Sweepable) expected = expected.MakeArrayType();
            Assert.True(type == expected || (expected == typeof(bool) && type == typeof(SwitchParameter)), $"-{setting.Name} is {type.Name}, the setting {expected.Name}");
            // The default Get-Help shows is what a fresh cmdlet holds: the setting's.
            if (setting.DefaultValue is { } value)
            {
                var actual = property.GetValue(fresh);
                if (setting.Sweepable && actual is Array { Length: 1 } one) actual = one.GetValue(0);   // [default]
                bool same = value is System.Collections.IEnumerable list && value is not string
                    ? actual is System.Collections.IEnumerable got && got.Cast<object>().SequenceEqual(list.Cast<object>())
                    : Equals(actual is SwitchParameter s ? s.IsPresent : actual, value);
                Assert.True(same, $"-{setting.Name} defaults to {actual}, the setting to {value}");
            }
            // Ranges and names are checked by the setting itself, never by a second copy in an attribute.
            Assert.Empty(property.GetCustomAttributes<ValidateRangeAttribute>());
            // A ValidateSet may stay for tab completion of a choice, but only as the setting's own names.
            var set = property.GetCustomAttribute<ValidateSetAttribute>();
            if (set is not null) Assert.Equal(setting.AllowedNames.Order(), set.ValidValues.Order());
            bool ranged = setting.Min > int.MinValue || setting.Max < int.MaxValue || (setting.Allowed is not null && set is null);
            var validation = property.GetCustomAttribute<ValidateSettingAttribute>();
            if (ranged) Assert.True(validation is not null && ReferenceEquals(validation.Setting, setting), $"-{setting.Name} is not validated by its setting");
        }
    }

    [Fact]
    public void Sweepable_settings_validate_every_value_of_an_array_in_the_settings_words()
    {
        using var ps = PowerShellHost.Create();
        ps.AddCommand("ConvertTo-Projection").AddParameter("InputPath", "x.parquet").AddParameter("MinDistance", new[] { 0.05, 11.0 });
        var error = Assert.ThrowsAny<ParameterBindingException>(() => ps.Invoke());
        Assert.Contains("11 is out of range [0, 10]", error.Message);
        Assert.Contains(ProjectionSettings.MinDistance.Help.TrimEnd('.'), error.Message);
        Assert.Equal(
            new[] { "NeighborCount", "Dimension", "AttractivePenalty", "Neighbors", "MinDistance", "Perplexity" },
            new IEnumerable<SettingSpec>[] { NeighborPreservationSettings.All, MdeSettings.All, ProjectionSettings.All }.SelectMany(a => a).Where(s => s.Sweepable).Select(s => s.Name));
    }

    [Fact]
    public void Pipeline_schema_sections_are_the_stages_settings()
    {
        Assert.Same(CollectionFilterSettings.All, PipelineSchema.Filter);
        Assert.Same(CooccurrenceSettings.All, PipelineSchema.Cooccurrence);
        Assert.Same(MdeSettings.All, PipelineSchema.Mde);
        Assert.Same(NeighborPreservationSettings.All, PipelineSchema.Neighbors);
        Assert.Same(ProjectionSettings.All, PipelineSchema.Projection);
        Assert.Same(PreviewSettings.All, PipelineSchema.Preview);
        Assert.Same(AtlasSettings.All, PipelineSchema.Atlas);
        foreach (var settings in new[] { typeof(CollectionFilterSettings), typeof(CooccurrenceSettings), typeof(MdeSettings), typeof(NeighborPreservationSettings), typeof(ProjectionSettings) })
        {
            var all = (IReadOnlyList<SettingSpec>)settings.GetProperty("All")!.GetValue(null)!;
            var missing = Declared(settings).Where(s => !all.Contains(s) && s.Name != "Algorithm").Select(s => s.Name);
            Assert.Empty(missing);   // Algorithm (kNN over feature vectors) has no place in a pipeline, which embeds co-occurrence graphs
        }
    }

    [Fact]
    public void A_range_is_enforced_with_the_settings_words_on_the_cmdlet_and_in_the_pipeline()
    {
        using var ps = PowerShellHost.Create();
        ps.AddCommand("Invoke-Mde").AddParameter("InputPath", "x.parquet").AddParameter("Dimension", 65);
        var error = Assert.ThrowsAny<ParameterBindingException>(() => ps.Invoke());
        Assert.Contains("65 is out of range [1, 64]", error.Message);
        Assert.Contains(MdeSettings.Dimension.Help.TrimEnd('.'), error.Message);

        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("plays.csv"), "collection,entity\n1,2\n");
        var table = new Hashtable { ["OutputPath"] = "./out", ["Input"] = new Hashtable { ["Path"] = "./plays.csv" }, ["Mde"] = new Hashtable { ["Dimension"] = 65 } };
        var invalid = Assert.Throws<EmbedPSException>(() => PipelineConfig.FromDictionary(table, dir.File("p.psd1"), dir.Path));
        Assert.Contains("Mde.Dimension: 65 is out of range [1, 64]", invalid.Message);
    }

    [Fact]
    public void Cache_keys_hash_resolved_options_so_defaults_written_out_share_an_entry_and_a_default_change_is_a_new_key()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("plays.csv"), "collection,entity\n1,2\n1,3\n2,2\n2,3\n");
        PipelineRun Plan(Hashtable mde, Hashtable projection) => new PipelineRunner(PipelineConfig.FromDictionary(new Hashtable
        {
            ["OutputPath"] = "./out",
            ["Input"] = new Hashtable { ["Path"] = "./plays.csv" },
            ["Mde"] = mde,
            ["Projections"] = new object[] { projection },
        }, dir.File("p.psd1"), dir.Path)).Plan(false);
        string Key(PipelineRun run, string stage) => run.Stages.Single(s => s.Name == stage).Key;

        var implicitDefaults = Plan(new Hashtable(), new Hashtable { ["Method"] = "Umap" });
        var explicitDefaults = Plan(
            new Hashtable { ["Dimension"] = MdeSettings.Dimension.Default, ["Device"] = MdeSettings.Device.Default.ToString().ToLowerInvariant(), ["MaxIterations"] = MdeSettings.MaxIterations.Default },
            new Hashtable { ["Method"] = "umap", ["MinDistance"] = ProjectionSettings.MinDistance.Default, ["Seed"] = ProjectionSettings.Seed.Default });
        Assert.Equal(Key(implicitDefaults, "mde"), Key(explicitDefaults, "mde"));
        Assert.Equal(Key(implicitDefaults, "projection-1"), Key(explicitDefaults, "projection-1"));
        var other = Plan(new Hashtable { ["Dimension"] = MdeSettings.Dimension.Default + 1 }, new Hashtable { ["Method"] = "Umap" });
        Assert.NotEqual(Key(implicitDefaults, "mde"), Key(other, "mde"));

        // An omitted option resolves to the setting's default, so a default written differently in the one place it is
        // written would change what the key hashes (and the help text that documents it).
        var changed = MdeSettings.Dimension with { };
        var resolved = Settings.Resolve(MdeSettings.All, new Dictionary<string, object?>());
        Assert.Equal(MdeSettings.Dimension.Default, resolved["Dimension"]);
        var withNewDefault = Settings.Resolve(MdeSettings.All.Select(s => s == MdeSettings.Dimension ? (SettingSpec)(MdeSettings.Dimension with { Default = 4 }) : s), new Dictionary<string, object?>());
        Assert.NotEqual(resolved["Dimension"], withNewDefault["Dimension"]);
        Assert.Contains("(default 4)", (MdeSettings.Dimension with { Default = 4 }).Describe());
        Assert.Equal(changed, MdeSettings.Dimension);
    }

    [Fact]
    public void Cmdlet_and_pipeline_resolve_the_same_options_from_nothing()
    {
        // What Invoke-Mde runs with when no option is given is what a pipeline's empty Mde section runs with (Device included).
        var (configuration, options) = MdeSettings.Resolve(new Dictionary<string, object?>());
        var fresh = new InvokeMdeCommand();
        Assert.Equal(fresh.Dimension.Single(), configuration.Dimension);
        Assert.Equal(fresh.Device, options.Device);
        Assert.Equal(fresh.MaxIterations, options.MaxIterations);
        Assert.Equal(new EmbeddingConfiguration().Dimension, configuration.Dimension);
        Assert.Equal(new MdeOptions().Device, options.Device);
        var (umap, tsne) = ProjectionSettings.Resolve(new Dictionary<string, object?>());
        Assert.Equal(new ConvertToProjectionCommand().Neighbors.Single(), umap.Neighbors);
        Assert.Equal(new UmapOptions().MinDistance, umap.MinDistance);
        Assert.Equal(12, tsne.EarlyExaggeration);
        Assert.Equal(1.0, umap.LearningRate);
        var refined = ProjectionSettings.Resolve(new Dictionary<string, object?>(), refine: true).Umap;
        Assert.Equal(ProjectionSettings.RefineLearningRate.Default, refined.LearningRate);
        Assert.Equal(ProjectionSettings.RefineEpochs.Default, refined.Epochs);
        Assert.Equal(new NeighborPreservationOptions(), NeighborPreservationSettings.Resolve(new Dictionary<string, object?>()));
    }
}
