using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Common;
using EmbedPS.Core.Pipeline;

namespace EmbedPS.Commands.Pipeline;

/// <summary>
/// <para type="synopsis">Runs the whole pipeline from a PowerShell data file (pipeline.psd1), reusing every stage whose inputs did not change, and switches the served atlas to the new run only when every stage succeeded.</para>
/// <para type="description">Invoke-EmbeddingPipeline reads a pipeline data file and runs import → filter → co-occurrence (or an edge list
/// precomputed by Spark or DuckDB) → neighbours → MDE → projection(s) → previews → atlas with the settings it holds. The file is
/// validated before any work starts: an unknown key, a value of the wrong type or out of range, or a missing input file is an
/// error that names the key (Mde.MaxIterations) or the file, and all such problems are listed at once. The schema is documented
/// in docs/pipeline.md. Relative paths in the file are relative to the file's folder.</para>
/// <para type="description">Every stage's artifact is cached in OutputPath/cache under a key that hashes its inputs (the input files'
/// SHA-256) and its settings, and is reused when the key is unchanged and the file still matches the SHA-256 recorded when it
/// was written; a corrupt or truncated cached artifact is rebuilt, never used. -Force reruns every stage. Each run writes into
/// its own folder OutputPath/runs/&lt;yyyyMMdd-HHmmss-fff&gt; (the map artifacts, previews/, atlas/ and the run log run.json);
/// the link OutputPath/latest switches to it in one atomic step (rename of a new symbolic link) only after every stage
/// succeeded, so a web server serving OutputPath/latest/atlas never sees a half-updated site and a failed run leaves the
/// previous atlas served. Runs beyond KeepRuns (7) and cache entries no kept run uses are pruned.</para>
/// <para type="description">With AlignTo = 'latest' the new map starts from the served one: MDE starts each persisting entity where it
/// was (a new entity at the mean of its persisting neighbours) and each projection starts from and is aligned onto the previous
/// layout, so entities stay put between nights. The run log (run.json) records the stages (ran or reused, keys, timings,
/// counts), the parameters, warnings, quality (recall, trustworthiness, continuity, label accuracy, as Measure-Embedding) and
/// the median and 95th-percentile displacement of persisting entities against the previous map. The cmdlet emits the run
/// (a PipelineRun, shown as its one-line summary). A failing stage is a terminating error (ErrorId PipelineStageFailed) that
/// names the stage and the cause, so a script run with pwsh -File exits non-zero. A lock allows one run of a pipeline at a time:
/// a second run is refused (ErrorId PipelineLocked) and a stale lock left by a killed run is taken over. -WhatIf prints the plan
/// (which stages run, which are reused) and writes nothing.</para>
/// </summary>
/// <example>
///   <code>Invoke-EmbeddingPipeline ./pipeline.psd1</code>
///   <para>Runs the pipeline and prints one row: the run, how many stages ran and how many were reused, the time and how far the map
/// moved. The atlas is served from ./site/latest/atlas (OutputPath/latest/atlas); the run log is ./site/latest/run.json.</para>
/// </example>
/// <example>
///   <code>$run = Invoke-EmbeddingPipeline -Path ./pipeline.psd1
/// $run.Stages | Format-Table Name, Status, Seconds
/// (Get-Content $run.LogPath | ConvertFrom-Json).Quality</code>
///   <para>Runs the pipeline, then shows which stages ran or were reused and the quality recorded in the run log (recall,
/// trustworthiness, continuity, label accuracy). $run.Summary is the one line a scheduled job logs.</para>
/// </example>
/// <example>
///   <code>Invoke-EmbeddingPipeline ./pipeline.psd1 -WhatIf; Invoke-EmbeddingPipeline ./pipeline.psd1</code>
///   <para>Validates the data file and prints the plan (which stages would run, which would reuse their cached artifact) without
/// writing anything, then runs it.</para>
/// </example>
/// <example>
///   <code>Invoke-EmbeddingPipeline ./pipeline.psd1 -Force -Verbose</code>
///   <para>Reruns every stage even when its cached artifact is current; -Verbose says what each stage does. With AlignTo = 'latest'
/// the rerun map starts from the served one, so it stays put.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "EmbeddingPipeline", SupportsShouldProcess = true)]
[OutputType(typeof(PipelineRun))]
public sealed class InvokeEmbeddingPipelineCommand : EmbedPSCmdlet
{
    /// <summary>The pipeline data file (.psd1) that holds the settings; see docs/pipeline.md for its keys.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Config", "FullName")]
    public string Path { get; set; } = "";

    /// <summary>Rerun every stage, ignoring the cache (the new artifacts replace the cached ones).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Serve this run even when it fails a gate (the Gates section, or the default drop gates); the run log records that the gates were accepted.</summary>
    [Parameter]
    public SwitchParameter AcceptGates { get; set; }

    protected override void ProcessRecord()
    {
        var full = ResolveInputPath(Path);
        var config = Load(full);
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var whatIf) && whatIf is SwitchParameter { IsPresent: true })
        {
            var plan = RunStage("Planning " + config.Name, (log, ct) => new PipelineRunner(config, log, ct).Plan(Force), full);
            foreach (var stage in plan.Stages)
            {
                ShouldProcess($"stage '{stage.Name}' (key {stage.Key})",
                    stage.Reused ? "Reuse the cached artifact" : $"Run ({stage.Reason}{(stage.AlignedTo is null ? "" : $"; starts from run {stage.AlignedTo}")})");
            }
            ShouldProcess(System.IO.Path.Combine(config.OutputPath, LatestLink.Name), $"Write run folder {plan.RunPath} and switch the served atlas to it");
            return;
        }
        if (!ShouldProcess(config.OutputPath, $"Run the pipeline '{config.Name}'")) return;
        // SIGINT and SIGTERM (cron's kill, systemd's stop, a container's shutdown) cancel the run like Ctrl+C: the run log says
        // 'cancelled' and the error below names the signal, so a script exits non-zero with one line instead of being killed
        // mid-write or carrying on as if nothing happened.
        using var signals = new SignalCancellation();
        var (run, failure) = RunStage("Pipeline " + config.Name, (log, ct) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, signals.Token);
            try
            {
                return (new PipelineRunner(config, log, linked.Token) { CancellationReason = () => signals.Signal, AcceptGates = AcceptGates }.Run(Force), (Exception?)null);
            }
            catch (PipelineRejectedException ex)
            {
                return (ex.Run, (Exception?)ex);
            }
            catch (PipelineFailedException ex)
            {
                return (ex.Run, (Exception?)ex);
            }
            catch (PipelineCancelledException ex) when (signals.Signal is not null)
            {
                return (ex.Run, (Exception?)ex);
            }
        }, full);
        if (failure is PipelineCancelledException)
        {
            ThrowTerminatingError(new ErrorRecord(failure, "PipelineCancelled", ErrorCategory.OperationStopped, run)
            {
                ErrorDetails = new ErrorDetails($"Pipeline '{run.Pipeline}' was cancelled by {signals.Signal} at stage '{run.FailedStage}'. " +
                    $"{(run.PreviousRun is null ? "No atlas is served yet." : $"The previous atlas (run {run.PreviousRun}) is still served.")} Run log: {run.LogPath}"),
            });
        }
        if (failure is PipelineRejectedException)
        {
            // Not a failure of the machinery: the run is complete and emitted for inspection, but it is not served. A script
            // with $ErrorActionPreference = 'Stop' stops here (nightly.ps1 exits 2); interactively both the error and the run show.
            WriteError(new ErrorRecord(failure, "PipelineGatesFailed", ErrorCategory.InvalidResult, run)
            {
                ErrorDetails = new ErrorDetails($"Pipeline '{run.Pipeline}' run {run.RunId} was rejected by its gates: {string.Join("; ", run.FailedGates)}. " +
                    $"{(run.PreviousRun is null ? "No atlas is served yet." : $"The previous atlas (run {run.PreviousRun}) is still served.")} Serve it anyway with -AcceptGates. Run log: {run.LogPath}"),
            });
            WriteObject(run);
            return;
        }
        if (failure is not null)
        {
            var cause = failure.InnerException is EmbedPSException inner ? $" ({inner.ErrorId})" : "";
            ThrowTerminatingError(new ErrorRecord(failure, "PipelineStageFailed", ErrorCategory.OperationStopped, run)
            {
                ErrorDetails = new ErrorDetails($"Pipeline '{run.Pipeline}' failed at stage '{run.FailedStage}'{cause}: {run.Error} " +
                    $"{(run.PreviousRun is null ? "No atlas is served yet." : $"The previous atlas (run {run.PreviousRun}) is still served.")} Run log: {run.LogPath}"),
            });
        }
        WriteObject(run);
    }

    /// <summary>The key (Mde.Seed, Projections[1].Seed) and the extent of the first value that is not constant data, or null.</summary>
    private static (string Key, IScriptExtent Extent)? FindDynamic(Ast value, string key)
    {
        switch (Unwrap(value))
        {
            case HashtableAst hash:
                foreach (var (k, v) in hash.KeyValuePairs)
                {
                    var name = k is StringConstantExpressionAst sk ? sk.Value : k.Extent.Text;
                    var child = key.Length == 0 ? name : $"{key}.{name}";
                    if (!IsConstant(k)) return (child, k.Extent);
                    if (FindDynamic(v, child) is { } found) return found;
                }
                return null;
            case ArrayLiteralAst list:
                for (int i = 0; i < list.Elements.Count; i++)
                    if (FindDynamic(list.Elements[i], $"{key}[{i}]") is { } found) return found;
                return null;
            case ArrayExpressionAst array:
                for (int i = 0; i < array.SubExpression.Statements.Count; i++)
                    if (FindDynamic(array.SubExpression.Statements[i], array.SubExpression.Statements.Count == 1 ? key : $"{key}[{i}]") is { } found) return found;
                return null;
            case ExpressionAst expression:
                return IsConstant(expression) ? null : (key, value.Extent);
            default:
                return (key, value.Extent);
        }
    }

    private static Ast Unwrap(Ast value)
    {
        while (true)
        {
            switch (value)
            {
                case PipelineAst { PipelineElements.Count: 1 } p when p.PipelineElements[0] is CommandExpressionAst c: value = c.Expression; continue;
                case CommandExpressionAst c: value = c.Expression; continue;
                case ParenExpressionAst paren: value = paren.Pipeline; continue;
                default: return value;
            }
        }
    }

    private static bool IsConstant(ExpressionAst expression)
    {
        try { expression.SafeGetValue(); return true; }
        catch (InvalidOperationException) { return false; }
    }

    private PipelineConfig Load(string path)
    {
        var ast = Parser.ParseFile(path, out _, out var errors);
        if (errors.Length > 0)
        {
            var first = errors[0];
            ThrowTerminatingError(new ErrorRecord(new InvalidDataException(
                $"The pipeline data file '{path}' is not valid PowerShell data: line {first.Extent.StartLineNumber}: {first.Message}"),
                "PipelineConfigParse", ErrorCategory.ParserError, path));
        }
        var statements = ast.EndBlock?.Statements;
        var table = statements is { Count: 1 } && statements[0] is PipelineAst { PipelineElements.Count: 1 } pipe
            && pipe.PipelineElements[0] is CommandExpressionAst { Expression: HashtableAst hash } ? hash : null;
        if (table is null)
        {
            ThrowTerminatingError(new ErrorRecord(new InvalidDataException($"The pipeline data file '{path}' must hold one hashtable, @{{ … }}, and nothing else."),
                "PipelineConfigParse", ErrorCategory.ParserError, path));
        }
        object? value;
        try
        {
            value = table!.SafeGetValue();
        }
        catch (InvalidOperationException ex)
        {
            var (key, extent) = FindDynamic(table!, "") ?? ("", table!.Extent);
            var text = extent.Text.ReplaceLineEndings(" ");
            if (text.Length > 60) text = text[..57] + "...";
            ThrowTerminatingError(new ErrorRecord(new InvalidDataException(
                $"The pipeline data file '{path}', line {extent.StartLineNumber}{(key.Length > 0 ? $", key {key}" : "")}: '{text}' is not constant data. " +
                "A pipeline data file may hold only constants (strings, numbers, $true, $false, $null, arrays and hashtables of them): no commands, variables or expressions.", ex),
                "PipelineConfigParse", ErrorCategory.ParserError, path));
            return null!;
        }
        try
        {
            return PipelineConfig.FromDictionary((IDictionary)value!, path, System.IO.Path.GetDirectoryName(path)!);
        }
        catch (EmbedPSException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, path));
            return null!;
        }
    }
}

/// <summary>
/// Turns SIGINT and SIGTERM into a cancellation while it lives (a run of the pipeline), remembering which arrived. The default
/// action (ending the process at once) is suppressed so that the run can record 'cancelled' and clean up; a second signal
/// of the same kind is left to its default, so a stuck run can still be ended.
/// </summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly List<System.Runtime.InteropServices.PosixSignalRegistration> _registrations = new();
    private volatile string? _signal;

    public SignalCancellation()
    {
        foreach (var signal in new[] { System.Runtime.InteropServices.PosixSignal.SIGINT, System.Runtime.InteropServices.PosixSignal.SIGTERM })
        {
            try { _registrations.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, OnSignal)); }
            catch (PlatformNotSupportedException) { }
        }
    }

    public CancellationToken Token => _source.Token;

    /// <summary>The signal that cancelled the run (SIGINT or SIGTERM), or null.</summary>
    public string? Signal => _signal;

    private void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
    {
        var name = context.Signal.ToString();
        if (_signal == name) return;   // the second one: let it end the process
        _signal ??= name;
        context.Cancel = true;
        _source.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _source.Dispose();
    }
}
