using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EmbedPS.Core.Artifacts;

/// <summary>One input of a stage: a source file (path, size, SHA-256) or an upstream artifact.</summary>
public sealed record ArtifactInput
{
    /// <summary>"file" for a raw source file, otherwise the upstream artifact kind.</summary>
    public string Kind { get; init; } = "file";
    public string? Path { get; init; }
    public long? Size { get; init; }
    public string? Sha256 { get; init; }

    public static ArtifactInput FromFile(string path, string kind = "file")
    {
        var info = new FileInfo(path);
        return new ArtifactInput { Kind = kind, Path = info.FullName, Size = info.Length, Sha256 = FileHash.Sha256(path) };
    }
}

public static class FileHash
{
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>
/// Where a stage object came from: the parameters that produced it and its inputs. Written to the
/// Parquet footer as <c>embedps.parameters</c> and <c>embedps.inputs</c>.
/// </summary>
public sealed class Provenance
{
    public SortedDictionary<string, object?> Parameters { get; init; } = new(StringComparer.Ordinal);
    public List<ArtifactInput> Inputs { get; init; } = new();
    public DateTime Created { get; set; } = DateTime.UtcNow;

    /// <summary>The artifact file this object was last written to or read from, if any.</summary>
    public string? ArtifactPath { get; set; }
    /// <summary>SHA-256 of that file, so downstream stages can name their input.</summary>
    public string? ArtifactSha256 { get; set; }
    /// <summary>The EmbedPS version that wrote the artifact (read back from its footer).</summary>
    public string? WriterVersion { get; set; }

    /// <summary>
    /// The sweepable settings this object was made with, stage after stage (the graph's NeighborCount, the embedding's Dimension
    /// and AttractivePenalty, the projection's Method, Neighbors, MinDistance, Perplexity): what a sweep's table, file names and
    /// captions show. Written to the footer as <c>embedps.settings</c>.
    /// </summary>
    public OrderedDictionary<string, object?> Settings { get; init; } = new(StringComparer.Ordinal);
    /// <summary>The names in <see cref="Settings"/> that were swept (given several values) by this stage or one before it.</summary>
    public List<string> Swept { get; init; } = new();
    /// <summary>
    /// The upstream stage object this one was made from, when it was made in this process (a projection's embedding, an
    /// embedding's graph); not written. Measure-Embedding measures against it when no -Reference is given.
    /// </summary>
    public object? Upstream { get; set; }

    /// <summary>The footer value of <see cref="Settings"/> and <see cref="Swept"/>: {"values":{…},"swept":[…]}.</summary>
    public string SettingsJson() => JsonSerializer.Serialize(new Dictionary<string, object?> { ["values"] = Settings, ["swept"] = Swept }, Json);

    /// <summary>Reads <see cref="SettingsJson"/> back into <paramref name="settings"/> and <paramref name="swept"/>.</summary>
    public static void ParseSettings(string? json, OrderedDictionary<string, object?> settings, List<string> swept)
    {
        if (string.IsNullOrWhiteSpace(json)) return;
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) return;
        if (doc.RootElement.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Object)
            // Numbers as the stages record them: whole numbers as int (NeighborCount 15), others as double (MinDistance 0.05).
            foreach (var property in values.EnumerateObject())
                settings[property.Name] = property.Value.ValueKind == JsonValueKind.Number
                    ? (property.Value.TryGetInt32(out var whole) && !property.Value.GetRawText().Contains('.') ? (object)whole : property.Value.GetDouble())
                    : ToPlain(property.Value);
        if (doc.RootElement.TryGetProperty("swept", out var names) && names.ValueKind == JsonValueKind.Array)
            foreach (var name in names.EnumerateArray()) if (name.GetString() is { } text) swept.Add(text);
    }

    /// <summary>Records this stage's settings after the upstream ones; <paramref name="swept"/>: those it swept.</summary>
    public Provenance WithSettings(IEnumerable<KeyValuePair<string, object?>> settings, IEnumerable<string> swept)
    {
        foreach (var (key, value) in settings) Settings[key] = value;
        foreach (var name in swept) if (!Swept.Contains(name)) Swept.Add(name);
        return this;
    }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public string ParametersJson() => JsonSerializer.Serialize(Parameters, Json);
    public string InputsJson() => JsonSerializer.Serialize(Inputs, Json);

    /// <summary>The input record a downstream stage uses for this object.</summary>
    public ArtifactInput AsUpstream(ArtifactKind kind) => new()
    {
        Kind = ArtifactKinds.Name(kind),
        Path = ArtifactPath,
        Sha256 = ArtifactSha256,
        Size = ArtifactPath is not null && File.Exists(ArtifactPath) ? new FileInfo(ArtifactPath).Length : null,
    };

    /// <summary>A provenance for a stage whose input is an upstream object.</summary>
    /// <summary>
    /// A provenance for a stage whose input is an upstream object: it inherits the upstream settings (a sweep's table and
    /// names show the whole chain) and, when given, keeps <paramref name="upstreamObject"/> as <see cref="Upstream"/>.
    /// </summary>
    public static Provenance Derived(Provenance upstream, ArtifactKind upstreamKind, IEnumerable<KeyValuePair<string, object?>> parameters, object? upstreamObject = null)
    {
        var result = new Provenance { Upstream = upstreamObject };
        foreach (var (key, value) in parameters) result.Parameters[key] = value;
        result.Inputs.Add(upstream.AsUpstream(upstreamKind));
        foreach (var (key, value) in upstream.Settings) result.Settings[key] = value;
        result.Swept.AddRange(upstream.Swept);
        return result;
    }

    public static SortedDictionary<string, object?> ParseParameters(string? json)
    {
        var result = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json)) return result;
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) return result;
        foreach (var property in doc.RootElement.EnumerateObject()) result[property.Name] = ToPlain(property.Value);
        return result;
    }

    private static object? ToPlain(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => null,
        JsonValueKind.Array => e.EnumerateArray().Select(ToPlain).ToArray(),
        _ => e.GetRawText(),
    };

    public static List<ArtifactInput> ParseInputs(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return new();
        return JsonSerializer.Deserialize<List<ArtifactInput>>(json, Json) ?? new();
    }
}
