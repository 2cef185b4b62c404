using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;

namespace EmbedPS.Commands.Collections;

/// <summary>
/// <para type="synopsis">Reads long-format collection data (CSV, TSV, Parquet, Hive-partitioned Parquet folders or pipeline objects) into an EntityCollectionSet.</para>
/// <para type="description">Each input row is one collection–entity pair, e.g. one line per (user, anime) or (package, dependency).
/// -CollectionProperty and -EntityProperty name the columns (or object properties) that hold the two ids; -WeightProperty,
/// -ValueProperty and -TimestampProperty optionally name a per-pair weight (e.g. a rating or play count), a value and a time
/// (a number, or a date such as 2024-05-01T12:00:00Z, stored as Unix seconds).
/// Sources: CSV files (comma-separated; tab-separated for .tsv and .tab, or any -Delimiter; RFC 4180 quoting,
/// UTF-8 with or without BOM, LF or CRLF, blank lines skipped), Parquet files (.parquet), and folders of Hive-partitioned Parquet
/// files (key=value/part-*.parquet, as Spark and DuckDB write them — the partition keys can be used as columns), or objects piped
/// in (PSObjects such as Import-Csv output, or hashtables; properties are matched by name). All inputs of one call are read into
/// one set, which is emitted once the input ends.
/// Files are streamed: memory grows with the number of pairs kept, not with the file size. Duplicate pairs
/// inside a collection are merged (weights summed, values averaged, the earliest timestamp kept) and counted in the -Verbose summary.
/// Ids that are all canonical integers become int64 ids; otherwise ids are strings. Bad input stops the command with an error that
/// names the file, the line or row, the column and the value: a missing column (the available ones are listed), a weight that is not
/// a number, an empty id, an empty or header-only file, a malformed quote. Nothing is emitted or written after an error.
/// The result records its provenance (the parameters, and each input file's size and SHA-256) and can be
/// saved as an EmbedPS artifact with -OutFile.</para>
/// </summary>
/// <example>
///   <code>Import-EntityCollection ./ratings.csv -CollectionProperty user_id -EntityProperty anime_id -WeightProperty rating -OutFile ./collections.parquet</code>
///   <para>Reads a CSV with one row per (user, anime) rating and saves the collections as an artifact.</para>
/// </example>
/// <example>
///   <code>Import-EntityCollection ./plays/ -CollectionProperty user -EntityProperty song -TimestampProperty played_at -Verbose</code>
///   <para>Reads a folder of Hive-partitioned Parquet files (for example plays/day=2024-05-01/part-0.parquet) and reports the rows read and duplicates merged.</para>
/// </example>
/// <example>
///   <code>Get-ChildItem ./exports/*.tsv | Import-EntityCollection -CollectionProperty list -EntityProperty item | Select-EntityCollection -MinCollections 5</code>
///   <para>Reads several TSV files into one set (file objects bind by their FullName) and drops rare entities.</para>
/// </example>
/// <example>
///   <code>Import-Csv ./deps.csv | Where-Object scope -eq 'runtime' | Import-EntityCollection -CollectionProperty package -EntityProperty dependency</code>
///   <para>Builds collections from pipeline objects; each object's properties are read by name.</para>
/// </example>
[Cmdlet(VerbsData.Import, "EntityCollection", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(EntityCollectionSet))]
public sealed class ImportEntityCollectionCommand : EmbedPSStageCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string InputObjectSet = "InputObject";

    private CollectionImporter? _importer;
    private long _records;

    /// <summary>Path of a CSV, TSV or Parquet file, or of a folder of (Hive-partitioned) Parquet files; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Path of the input without wildcard expansion. File objects from Get-Item or Get-ChildItem bind to it by their FullName or PSPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>Objects holding one collection–entity pair each (PSObjects, e.g. from Import-Csv, or hashtables); properties are matched by name, ignoring case.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    public PSObject InputObject { get; set; } = null!;

    /// <summary>The column or property that holds the collection id (the user, the playlist, the package). Default: 'collection'.</summary>
    [Parameter]
    [Alias("CollectionColumn")]
    [ValidateNotNullOrEmpty]
    public string CollectionProperty { get; set; } = "collection";

    /// <summary>The column or property that holds the entity id (the anime, the song, the dependency). Default: 'entity'.</summary>
    [Parameter]
    [Alias("EntityColumn")]
    [ValidateNotNullOrEmpty]
    public string EntityProperty { get; set; } = "entity";

    /// <summary>Optional column or property with a numeric per-pair weight (a rating, a play count). Duplicate pairs have their weights summed.</summary>
    [Parameter]
    [Alias("WeightColumn")]
    [ValidateNotNullOrEmpty]
    public string? WeightProperty { get; set; }

    /// <summary>Optional column or property with a numeric per-pair value, carried along (duplicates are averaged).</summary>
    [Parameter]
    [Alias("ValueColumn")]
    [ValidateNotNullOrEmpty]
    public string? ValueProperty { get; set; }

    /// <summary>Optional column or property with a per-pair time: a number (kept as is) or a date (ISO 8601; stored as Unix seconds, UTC unless an offset is given). Duplicates keep the earliest.</summary>
    [Parameter]
    [Alias("TimestampColumn")]
    [ValidateNotNullOrEmpty]
    public string? TimestampProperty { get; set; }

    /// <summary>Field separator of CSV input. Default: tab for .tsv and .tab files, comma otherwise. Ignored for Parquet.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public char? Delimiter { get; set; }

    /// <summary>Text encoding of CSV input, as Import-Csv's -Encoding: utf8, unicode (UTF-16), bigendianunicode, utf32, ascii, latin1, or a code page. Default: the encoding a byte order mark names, otherwise UTF-8. Decoding is strict: an invalid byte is an error naming the file, line and byte offset, never a replacement character. Ignored for Parquet (always UTF-8).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public string? Encoding { get; set; }

    /// <summary>Accept negative weights in the -WeightProperty column. Without it a negative weight is an error naming the file, line and value.</summary>
    [Parameter] public SwitchParameter AllowNegativeWeight { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        var options = new CollectionImportOptions
        {
            CollectionColumn = CollectionProperty,
            EntityColumn = EntityProperty,
            WeightColumn = WeightProperty,
            ValueColumn = ValueProperty,
            TimestampColumn = TimestampProperty,
            Delimiter = Delimiter,
            Encoding = Encoding,
            AllowNegativeWeight = AllowNegativeWeight,
        };
        _importer = new CollectionImporter(options);
    }

    protected override void ProcessRecord()
    {
        var importer = _importer!;
        switch (ParameterSetName)
        {
            case PathSet:
                foreach (var pattern in Path)
                {
                    Collection<string> resolved;
                    try
                    {
                        resolved = GetResolvedProviderPathFromPSPath(pattern, out _);
                    }
                    catch (ItemNotFoundException ex)
                    {
                        ThrowTerminatingError(new ErrorRecord(ex, "InputNotFound", ErrorCategory.ObjectNotFound, pattern));
                        return;
                    }
                    if (resolved.Count == 0)
                    {
                        ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"No file matches '{pattern}'."), "InputNotFound", ErrorCategory.ObjectNotFound, pattern));
                    }
                    foreach (var path in resolved) ReadPath(path);
                }
                break;
            case LiteralPathSet:
                foreach (var path in LiteralPath) ReadPath(ResolveInputPath(path));
                break;
            default:
                AddObject(InputObject);
                break;
        }
    }

    private void ReadPath(string path)
    {
        var importer = _importer!;
        RunStage("Importing " + System.IO.Path.GetFileName(path.TrimEnd(System.IO.Path.DirectorySeparatorChar)),
            (log, ct) => { importer.ReadPath(path, log, ct); return 0; }, path);
    }

    private void AddObject(PSObject? input)
    {
        var importer = _importer!;
        var value = input?.BaseObject;
        // A file or a path string piped by value is read as a file (Get-Item x.csv | Import-EntityCollection).
        if (value is FileSystemInfo file) { ReadPath(file.FullName); return; }
        if (value is string text) { ReadPath(ResolveInputPath(text)); return; }
        // -InputObject $rows (an array given as an argument, not piped) is read element by element.
        if (value is IEnumerable items and not IDictionary)
        {
            foreach (var item in items) AddObject(item is null ? null : PSObject.AsPSObject(item));
            return;
        }
        long row = ++_records;
        try
        {
            var collection = Property(input, CollectionProperty, row);
            var entity = Property(input, EntityProperty, row);
            var weight = WeightProperty is null ? null : Property(input, WeightProperty, row);
            var pairValue = ValueProperty is null ? null : Property(input, ValueProperty, row);
            var timestamp = TimestampProperty is null ? null : Property(input, TimestampProperty, row);
            importer.AddRecord("pipeline input", row, collection, entity, weight, pairValue, timestamp);
        }
        catch (EmbedPSException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, input));
        }
        if (row % 10_000 == 0)
        {
            WriteProgress(new ProgressRecord(4100, "Importing pipeline objects", $"{row:N0} objects, {importer.CollectionCount:N0} collections, {importer.EntityCount:N0} entities"));
            if (CancellationToken.IsCancellationRequested) throw new PipelineStoppedException();
        }
    }

    /// <summary>A property of a pipeline object (a hashtable key or a PSObject property), matched ignoring case.</summary>
    private static object? Property(PSObject? input, string name, long row)
    {
        var value = input?.BaseObject;
        if (value is IDictionary dictionary)
        {
            if (dictionary.Contains(name)) return Unwrap(dictionary[name]);
            foreach (DictionaryEntry entry in dictionary)
            {
                if (entry.Key is string key && string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return Unwrap(entry.Value);
            }
            throw MissingProperty(name, row, dictionary.Keys.Cast<object>().Select(k => k?.ToString() ?? ""), value.GetType().Name);
        }
        var property = input?.Properties[name];
        if (property is not null) return Unwrap(property.Value);
        var available = input?.Properties.Select(p => p.Name) ?? Enumerable.Empty<string>();
        throw MissingProperty(name, row, available, value?.GetType().Name ?? "null");
    }

    private static object? Unwrap(object? value) => value is PSObject ps ? ps.BaseObject : value;

    private static EmbedPSException MissingProperty(string name, long row, IEnumerable<string> available, string typeName)
    {
        var list = available.Take(50).Select(n => $"'{n}'").ToList();
        return new EmbedPSException("PropertyNotFound", EmbedPSErrorKind.InvalidArgument,
            $"'pipeline input', object {row} ({typeName}): no property '{name}'. Available properties: {(list.Count == 0 ? "(none)" : string.Join(", ", list))}.")
        { File = "pipeline input", Row = row, Column = name };
    }

    protected override void EndProcessing()
    {
        var importer = _importer!;
        if (_records > 0) WriteProgress(new ProgressRecord(4100, "Importing pipeline objects", "Done") { RecordType = ProgressRecordType.Completed });
        var set = RunStage("Building collections", (log, ct) =>
        {
            ct.ThrowIfCancellationRequested();
            log.Progress(0.5, $"Sorting {importer.RowCount:N0} rows into {importer.CollectionCount:N0} collections");
            return importer.Build();
        });
        WriteVerbose($"Read {importer.RowCount:N0} rows from {importer.Inputs.Count:N0} file(s){(_records > 0 ? $" and {_records:N0} pipeline object(s)" : "")}; " +
                     $"merged {set.DuplicatePairsMerged:N0} duplicate collection–entity pair(s); result: {set}.");
        SaveAndEmit(set);
    }
}
