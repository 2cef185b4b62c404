using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Artifacts;

namespace EmbedPS.Commands.Artifacts;

/// <summary>The result of Test-EmbedArtifact -Detailed: the file, its kind when readable, and every problem found.</summary>
public sealed class EmbedArtifactTestResult
{
    public required string Path { get; init; }
    public string? Kind { get; init; }
    public bool IsValid => Problems.Count == 0;
    public required IReadOnlyList<ArtifactProblem> Problems { get; init; }
    public override string ToString() => IsValid ? $"{Path}: valid {Kind} artifact" : $"{Path}: {Problems.Count} problem(s): {Problems[0].Message}";
}

/// <summary>
/// <para type="synopsis">Tests whether a file is a valid EmbedPS artifact, like Test-Json: $true or $false.</para>
/// <para type="description">Runs the checks Import-EmbedArtifact and every -InputPath make, without importing: the Parquet frame
/// and, when EmbedPS wrote it, the SHA-256 of the data pages recorded in the footer (a corrupted page is found); the footer (kind,
/// a schema this version reads, every JSON key parses, the keys a kind needs are present); a non-empty table; the columns of the
/// kind with usable types; no null or empty ids; finite coordinates, weights and distances; no negative popularity, distance or
/// (unless the producing command was told they are meant) weight; unique entity ids; edges only between listed entities; a
/// usable neighbour-graph configuration. It writes $true when the file passes, $false otherwise; -Verbose lists the problems,
/// and -Detailed emits an EmbedArtifactTestResult whose Problems name the file, the footer key or column and the first bad row.
/// It never changes the file.</para>
/// </summary>
/// <example>
///   <code>$valid = Test-EmbedArtifact ./projection.parquet
/// if (-not $valid) { throw 'projection.parquet is not a valid EmbedPS artifact' }</code>
///   <para>A script's check that the artifact it wrote is valid (in a Pester test: Test-EmbedArtifact ./projection.parquet | Should -BeTrue).</para>
/// </example>
/// <example>
///   <code>Get-ChildItem ./*.parquet | Test-EmbedArtifact -Detailed | Select-Object Path, Kind, IsValid, Problems</code>
///   <para>Checks every artifact in a folder: whether each is valid and, for those that are not, every problem (file, key or column, row).</para>
/// </example>
/// <example>
///   <code>Test-EmbedArtifact ./neighbors.parquet -Kind NeighborGraph</code>
///   <para>$false unless the file is a valid neighbour-graph artifact.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Test, "EmbedArtifact", DefaultParameterSetName = "Path")]
[OutputType(typeof(bool), typeof(EmbedArtifactTestResult))]
public sealed class TestEmbedArtifactCommand : EmbedPSCmdlet
{
    /// <summary>Path of the file to test; wildcards allowed. A path that matches no file gives $false (and an error record).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipeline = true)]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Literal path of the file to test (no wildcard expansion); file objects bind here by their FullName.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>The kind the file must be: Collections, Cooccurrence, NeighborGraph, Embedding or Projection. Any kind when omitted.</summary>
    [Parameter] public ArtifactKind? Kind { get; set; }

    /// <summary>Emit an EmbedArtifactTestResult (path, kind, IsValid, every problem) instead of $true or $false.</summary>
    [Parameter] public SwitchParameter Detailed { get; set; }

    protected override void ProcessRecord()
    {
        var paths = new List<string>();
        foreach (var p in ParameterSetName == "Path" ? Path : LiteralPath)
        {
            if (ParameterSetName == "Path" && WildcardPattern.ContainsWildcardCharacters(p))
            {
                try { paths.AddRange(GetResolvedProviderPathFromPSPath(p, out _)); }
                catch (ItemNotFoundException ex) { WriteError(new ErrorRecord(ex, "ArtifactNotFound", ErrorCategory.ObjectNotFound, p)); Emit(p, null, null); }
            }
            else paths.Add(GetUnresolvedProviderPathFromPSPath(p));
        }
        foreach (var path in paths)
        {
            var (problems, kind) = RunStage("Testing " + System.IO.Path.GetFileName(path), (_, ct) => ArtifactStore.TestKind(path, Kind, ct), path);
            Emit(path, kind is { } k ? ArtifactKinds.Name(k) : null, problems);
        }
    }

    private void Emit(string path, string? kind, List<ArtifactProblem>? problems)
    {
        problems ??= new List<ArtifactProblem> { new("ArtifactNotFound", $"'{path}' matches no file.", path) };
        foreach (var problem in problems) WriteVerbose(problem.Message);
        if (Detailed) WriteObject(new EmbedArtifactTestResult { Path = path, Kind = kind, Problems = problems });
        else WriteObject(problems.Count == 0);
    }
}
