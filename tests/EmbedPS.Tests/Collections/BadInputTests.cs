using System.Management.Automation;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Collections;

/// <summary>
/// Each kind of bad input gives its own error naming file, line, column and value — from the core and through the
/// cmdlet, which then emits nothing and writes no -OutFile.
/// </summary>
[Trait("Category", "Unit")]
public class BadInputTests
{
    /// <summary>name, file content, weight column, expected ErrorId, expected line (0: none), column, value fragments.</summary>
    public static IEnumerable<object?[]> Cases() => new[]
    {
        new object?[] { "missing-column.csv", "user,item,weight\nu1,a,1\n", null, "ColumnNotFound", 0, "collection", new[] { "'user', 'item', 'weight'" } },
        new object?[] { "bad-weight.csv", "collection,entity,weight\nu1,a,1\nu1,b,lots\n", "weight", "InvalidWeight", 3, "weight", new[] { "'lots'" } },
        new object?[] { "infinite-weight.csv", "collection,entity,weight\nu1,a,1e999\n", "weight", "InvalidWeight", 2, "weight", new[] { "'1e999'" } },
        new object?[] { "empty.csv", "", null, "EmptyFile", 0, null, new[] { "empty" } },
        new object?[] { "blank.csv", "\n\n", null, "EmptyFile", 0, null, new[] { "empty" } },
        new object?[] { "header-only.csv", "collection,entity\r\n\r\n", null, "HeaderOnly", 0, null, new[] { "no data rows" } },
        new object?[] { "unclosed-quote.csv", "collection,entity\nu1,a\nu1,\"b\nu2,c\n", null, "MalformedQuote", 3, null, new[] { "never closed" } },
        new object?[] { "quote-in-field.csv", "collection,entity\nu1,a\nu1,5\"10\nu2,c\"\n", null, "MalformedQuote", 3, "entity", new[] { "5\"10", "inside an unquoted field" } },
        new object?[] { "text-after-quote.csv", "collection,entity\nu1,\"a\"b\n", null, "MalformedQuote", 2, "entity", new[] { "\"a\"b", "after the closing quote" } },
        new object?[] { "empty-id.csv", "collection,entity\nu1,a\n,b\n", null, "EmptyId", 3, "collection", new[] { "empty" } },
        new object?[] { "empty-quoted-id.csv", "collection,entity\nu1,\"\"\n", null, "EmptyId", 2, "entity", new[] { "empty" } },
        new object?[] { "duplicate-header.csv", "collection,entity,entity\nu1,a,b\n", null, "AmbiguousColumn", 1, "entity", new[] { "more than once" } },
        new object?[] { "unclosed-header.csv", "\n\"collection,entity\nu1,a\n", null, "MalformedQuote", 2, null, new[] { "never closed" } },
        new object?[] { "too-few-columns.csv", "collection,entity,weight\nu1,a,1\nu1,b\n", "weight", "ColumnCountMismatch", 3, null, new[] { "2 column(s)", "u1,b" } },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Core_error_names_file_line_column_and_value(string name, string content, string? weightColumn, string errorId, int line, string? column, string[] fragments)
    {
        using var dir = new TempDirectory();
        var path = CsvImportTests.Write(dir, name, content);
        var importer = new CollectionImporter(new CollectionImportOptions { WeightColumn = weightColumn });
        var ex = Assert.Throws<EmbedPSException>(() => importer.ReadPath(path, StageLog.Null, CancellationToken.None));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(path, ex.File);
        Assert.Contains(path, ex.Message);
        if (line > 0)
        {
            Assert.Equal(line, ex.Row);
            Assert.Contains($"line {line}", ex.Message);
        }
        if (column is not null)
        {
            Assert.Equal(column, ex.Column);
            Assert.Contains($"'{column}'", ex.Message);
        }
        foreach (var fragment in fragments) Assert.Contains(fragment, ex.Message);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cmdlet_stops_emits_nothing_and_writes_no_file(string name, string content, string? weightColumn, string errorId, int line, string? column, string[] fragments)
    {
        _ = line; _ = column; _ = fragments;
        using var dir = new TempDirectory();
        var path = CsvImportTests.Write(dir, name, content);
        var outFile = dir.File("out.parquet");
        using var ps = PowerShellHost.Create();
        ps.AddCommand("Import-EntityCollection").AddParameter("LiteralPath", path).AddParameter("OutFile", outFile);
        if (weightColumn is not null) ps.AddParameter("WeightProperty", weightColumn);
        var (error, output) = InvokeExpectingError(ps);
        Assert.Empty(output);
        Assert.StartsWith(errorId + ",", error.FullyQualifiedErrorId);
        Assert.Contains(path, error.Exception.Message);
        Assert.Contains(error.CategoryInfo.Category, new[] { ErrorCategory.InvalidData, ErrorCategory.InvalidArgument });
        Assert.False(File.Exists(outFile));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.parquet*"));
    }

    [Fact]
    public void An_error_in_a_later_file_emits_nothing_from_the_earlier_ones()
    {
        using var dir = new TempDirectory();
        var good = CsvImportTests.Write(dir, "good.csv", "collection,entity\nu1,a\n");
        var bad = CsvImportTests.Write(dir, "bad.csv", "collection,entity\nu1,\n");
        using var ps = PowerShellHost.Create();
        ps.AddCommand("Import-EntityCollection").AddParameter("LiteralPath", new[] { good, bad }).AddParameter("OutFile", dir.File("out.parquet"));
        var (error, results) = InvokeExpectingError(ps);
        Assert.StartsWith("EmptyId", error.FullyQualifiedErrorId);
        Assert.Empty(results);
        Assert.False(File.Exists(dir.File("out.parquet")));
    }

    /// <summary>Runs the command; a terminating error is either thrown (a command) or written to the error stream (a script).</summary>
    internal static (ErrorRecord Error, PSDataCollection<PSObject> Output) InvokeExpectingError(PowerShell ps)
    {
        var output = new PSDataCollection<PSObject>();
        try
        {
            ps.Invoke(null, output);
        }
        catch (RuntimeException ex)
        {
            return (ex.ErrorRecord, output);
        }
        Assert.True(ps.HadErrors, "expected an error");
        return (ps.Streams.Error[0], output);
    }

    [Fact]
    public void Pipeline_object_without_the_property_lists_the_available_ones()
    {
        using var ps = PowerShellHost.Create();
        ps.AddScript("[pscustomobject]@{ user = 'u1'; item = 'a' } | Import-EntityCollection -CollectionProperty user -EntityProperty anime");
        var (error, output) = InvokeExpectingError(ps);
        Assert.StartsWith("PropertyNotFound", error.FullyQualifiedErrorId);
        Assert.Contains("'anime'", error.Exception.Message);
        Assert.Contains("'user', 'item'", error.Exception.Message);
        Assert.Empty(output);
    }

    [Fact]
    public void Pipeline_object_with_non_numeric_weight_names_the_object()
    {
        using var ps = PowerShellHost.Create();
        ps.AddScript("@{ c = 'u1'; e = 'a'; w = 1 }, @{ c = 'u1'; e = 'b'; w = 'many' } | Import-EntityCollection -CollectionProperty c -EntityProperty e -WeightProperty w");
        var (error, output) = InvokeExpectingError(ps);
        Assert.StartsWith("InvalidWeight", error.FullyQualifiedErrorId);
        Assert.Contains("row 2", error.Exception.Message);
        Assert.Contains("'many'", error.Exception.Message);
        Assert.Empty(output);
    }
}
