using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Quality;

/// <summary>
/// Which reference a layout is measured against when a sweep measures many: each subject's own upstream object, found by
/// provenance — the object it was made from in this process (<see cref="Provenance.Upstream"/>), or the artifact file its
/// footer names as its input (same SHA-256) — among given candidates, or on its own when none are given.
/// </summary>
public static class QualityReference
{
    /// <summary>The provenance of a stage object, or null for other objects.</summary>
    public static Provenance? ProvenanceOf(object? stageObject) => stageObject switch
    {
        Embedding e => e.Provenance,
        Projection.Projection p => p.Provenance,
        NeighborGraph g => g.Provenance,
        _ => null,
    };

    /// <summary>
    /// The candidate that <paramref name="subject"/> was made from: the same object, or the artifact whose path or SHA-256 its
    /// provenance records as its input. Null when none is.
    /// </summary>
    public static object? Match(object subject, IReadOnlyList<object> candidates)
    {
        var provenance = ProvenanceOf(subject);
        if (provenance is null) return null;
        if (provenance.Upstream is { } upstream)
            foreach (var candidate in candidates) if (ReferenceEquals(candidate, upstream)) return candidate;
        foreach (var input in provenance.Inputs)
        {
            foreach (var candidate in candidates)
            {
                var c = ProvenanceOf(candidate);
                if (c is null) continue;
                if (input.Sha256 is { } sha && string.Equals(sha, c.ArtifactSha256, StringComparison.OrdinalIgnoreCase)) return candidate;
                if (input.Sha256 is null && input.Path is { } path && c.ArtifactPath is { } other && string.Equals(Path.GetFullPath(path), Path.GetFullPath(other), StringComparison.Ordinal)) return candidate;
            }
        }
        // An in-memory upstream that was since written to a file: its provenance names the file this subject came from.
        if (provenance.Upstream is { } up && ProvenanceOf(up) is { ArtifactSha256: { } upSha })
            foreach (var candidate in candidates)
                if (string.Equals(ProvenanceOf(candidate)?.ArtifactSha256, upSha, StringComparison.OrdinalIgnoreCase)) return candidate;
        return null;
    }

    /// <summary>
    /// The subject's own upstream embedding or graph: the object it was made from in this process, else the artifact its footer
    /// names as its input when that file still exists with the recorded SHA-256 (<paramref name="read"/> reads it; a cache
    /// keeps one read per file). Null when there is none (a map read from a file whose input was moved or rewritten).
    /// </summary>
    public static object? Upstream(object subject, Func<string, object> read, IStageLog? log = null)
    {
        var provenance = ProvenanceOf(subject);
        if (provenance is null) return null;
        if (provenance.Upstream is Embedding or NeighborGraph) return provenance.Upstream;
        foreach (var input in provenance.Inputs)
        {
            if (input.Kind is not ("embedding" or "neighbor-graph") || input.Path is null || !File.Exists(input.Path)) continue;
            if (input.Sha256 is { } sha && !string.Equals(sha, FileHash.Sha256(input.Path), StringComparison.OrdinalIgnoreCase))
            {
                log?.Warning($"The {input.Kind} '{input.Path}' that {subject} was made from has changed since (its SHA-256 differs); it is not used as the reference. Give -Reference.");
                continue;
            }
            var found = read(input.Path);
            if (found is Embedding or NeighborGraph) return found;
        }
        return null;
    }
}
