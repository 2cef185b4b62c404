using System.Collections.Concurrent;
using System.Diagnostics;
using System.Management.Automation;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Commands.Infrastructure;

/// <summary>
/// Base of every EmbedPS cmdlet: Ctrl+C cancels a token the core checks, core work runs on a worker
/// thread while its progress, verbose and warning messages are written from the pipeline thread, and
/// core errors become ErrorRecords with a stable ErrorId.
/// </summary>
public abstract class EmbedPSCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _cancellation = new();
    private static int s_nextActivityId = 4200;
    private readonly int _activityId = Interlocked.Increment(ref s_nextActivityId);

    protected CancellationToken CancellationToken => _cancellation.Token;

    protected override void StopProcessing() => _cancellation.Cancel();

    /// <summary>
    /// Runs <paramref name="work"/> on a worker thread and pumps its log here until it ends.
    /// Cancellation (Ctrl+C) surfaces as PipelineStoppedException; EmbedPSException as a terminating error.
    /// </summary>
    protected T RunStage<T>(string activity, Func<IStageLog, CancellationToken, T> work, object? errorTarget = null)
    {
        var log = new QueuedStageLog();
        var token = _cancellation.Token;
        var task = Task.Run(() => work(log, token), token);
        var lastProgress = Stopwatch.StartNew();
        bool wroteProgress = false;
        while (!task.IsCompleted)
        {
            // Not task.Wait(timeout): it throws when the task faults, losing the drain below.
            ((IAsyncResult)task).AsyncWaitHandle.WaitOne(50);
            Drain(log, activity, lastProgress, ref wroteProgress);
        }
        Drain(log, activity, lastProgress, ref wroteProgress, final: true);
        if (wroteProgress)
        {
            WriteProgress(new ProgressRecord(_activityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (EmbedPSException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, errorTarget));
            throw; // unreachable
        }
    }

    private void Drain(QueuedStageLog log, string activity, Stopwatch lastProgress, ref bool wroteProgress, bool final = false)
    {
        while (log.Messages.TryDequeue(out var message))
        {
            if (message.IsWarning) WriteWarning(message.Text); else WriteVerbose(message.Text);
        }
        // At most ten progress records a second; nothing at all when nobody listens (nightly jobs).
        if (!final && log.TryTakeProgress(out var fraction, out var status) && lastProgress.ElapsedMilliseconds >= 100)
        {
            lastProgress.Restart();
            var record = new ProgressRecord(_activityId, activity, string.IsNullOrEmpty(status) ? "Working" : status)
            {
                PercentComplete = (int)Math.Clamp(Math.Round(fraction * 100), 0, 100),
            };
            WriteProgress(record);
            wroteProgress = true;
        }
    }

    internal T RunStagePublic<T>(string activity, Func<IStageLog, CancellationToken, T> work, object? target) => RunStage(activity, work, target);

    protected ErrorRecord ToErrorRecord(EmbedPSException ex, object? target)
    {
        var category = ex.Kind switch
        {
            EmbedPSErrorKind.InvalidData => ErrorCategory.InvalidData,
            EmbedPSErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
            EmbedPSErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
            EmbedPSErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
            EmbedPSErrorKind.NotSupported => ErrorCategory.NotImplemented,
            EmbedPSErrorKind.ResourceExists => ErrorCategory.ResourceExists,
            EmbedPSErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
            _ => ErrorCategory.NotSpecified,
        };
        return new ErrorRecord(ex, ex.ErrorId, category, target ?? ex.File);
    }

    protected void ThrowArgumentError(string errorId, string message, object? target = null) =>
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target));

    /// <summary>True under -WhatIf (bound or by preference): nothing on disk may change, not even a probe file.</summary>
    protected internal bool IsWhatIf =>
        (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) && w is SwitchParameter s && s.IsPresent)
        || (!MyInvocation.BoundParameters.ContainsKey("WhatIf") && LanguagePrimitives.IsTrue(SessionState?.PSVariable.GetValue("WhatIfPreference")));

    /// <summary>
    /// The shared overwrite routine, part 1, run before any computation: resolves the target and stops with an error naming it
    /// when it is a directory, exists under -NoClobber, is read-only without -Force, or its folder cannot be written. Changes nothing.
    /// </summary>
    protected internal string CheckOutputTarget(string userPath, bool noClobber, bool force, string parameterName)
    {
        var full = GetUnresolvedProviderPathFromPSPath(userPath);
        CheckExtension(full, parameterName);
        try { OutputTarget.Check(full, noClobber, force, probe: !IsWhatIf, parameterName); }
        catch (EmbedPSException ex) { ThrowTerminatingError(ToErrorRecord(ex, full)); }
        return full;
    }

    /// <summary>What a cmdlet writes to each output parameter: "Parquet" (artifacts), "PNG" (previews) or "CSV"; null: no check.</summary>
    protected virtual string? OutputFormat(string parameterName) => parameterName == "OutFile" ? "Parquet" : null;

    private static readonly Dictionary<string, string> FormatOfExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".parquet"] = "Parquet", [".pq"] = "Parquet",
        [".png"] = "PNG",
        [".csv"] = "CSV", [".tsv"] = "CSV",
        [".jpg"] = "JPEG", [".jpeg"] = "JPEG", [".gif"] = "GIF", [".bmp"] = "BMP", [".webp"] = "WebP", [".svg"] = "SVG", [".tif"] = "TIFF", [".tiff"] = "TIFF", [".pdf"] = "PDF",
        [".txt"] = "text", [".json"] = "JSON", [".jsonl"] = "JSON", [".xml"] = "XML", [".xlsx"] = "Excel", [".html"] = "HTML", [".htm"] = "HTML",
        [".gz"] = "gzip", [".zip"] = "zip", [".zst"] = "zstd", [".arrow"] = "Arrow", [".feather"] = "Arrow",
    };

    /// <summary>
    /// Refuses an output name whose extension promises another format than the bytes written (-Path x.jpg would hold PNG
    /// bytes, -OutFile c.csv Parquet); names it and says what to call it. Unknown extensions are left alone.
    /// </summary>
    private void CheckExtension(string fullPath, string parameterName)
    {
        if (OutputFormat(parameterName) is not { } format) return;
        var extension = System.IO.Path.GetExtension(fullPath);
        if (extension.Length == 0 || !FormatOfExtension.TryGetValue(extension, out var promised) || promised == format) return;
        var suggestion = System.IO.Path.ChangeExtension(System.IO.Path.GetFileName(fullPath), format switch { "PNG" => ".png", "CSV" => ".csv", _ => ".parquet" });
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(
            $"-{parameterName} '{fullPath}': a '{extension}' name promises {promised}, but {MyInvocation.MyCommand.Name} writes {format}. Name the file '{suggestion}'" +
            (format == "Parquet" && promised == "CSV" ? " (for CSV, pipe the object's Rows to Export-Csv)." : ".")),
            "OutputExtensionMismatch", ErrorCategory.InvalidArgument, fullPath));
    }

    /// <summary>
    /// The shared overwrite routine, part 2, right before writing: ShouldProcess first (so -WhatIf changes nothing), then the
    /// same checks again and, with -Force, clearing a read-only bit. False when the user declined.
    /// </summary>
    protected internal bool ConfirmOverwrite(string fullPath, string action, bool noClobber, bool force)
    {
        if (!ShouldProcess(fullPath, action)) return false;
        try { OutputTarget.PrepareOverwrite(fullPath, noClobber, force); }
        catch (EmbedPSException ex) { ThrowTerminatingError(ToErrorRecord(ex, fullPath)); }
        return true;
    }

    /// <summary>Resolves a path the user typed (relative to the current PowerShell location, ~ expanded).</summary>
    protected string ResolveOutputPath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>Resolves an existing file; a clear error when it does not exist.</summary>
    protected string ResolveInputPath(string path)
    {
        var full = GetUnresolvedProviderPathFromPSPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"Cannot find '{full}' because it does not exist.", full),
                "InputNotFound", ErrorCategory.ObjectNotFound, full));
        }
        return full;
    }

    /// <summary>Reads an artifact of the expected kind, turning failures into terminating errors.</summary>
    protected T ReadArtifact<T>(string path) where T : class
    {
        var full = ResolveInputPath(path);
        var result = RunStage("Reading " + Path.GetFileName(full), (_, ct) => ArtifactStore.Read(full, ct), full);
        if (result is T typed) return typed;
        ThrowTerminatingError(new ErrorRecord(new InvalidDataException($"'{full}' holds {Grammar.WithArticle(ArtifactKinds.Name(ArtifactStore.KindOf(result)))} artifact, not {Grammar.WithArticle(typeof(T).Name)}."),
            "WrongArtifactKind", ErrorCategory.InvalidData, full));
        return null!;
    }

    private sealed class QueuedStageLog : IStageLog
    {
        public readonly ConcurrentQueue<(bool IsWarning, string Text)> Messages = new();
        private readonly object _gate = new();
        private double _fraction;
        private string _status = "";
        private bool _fresh;

        public void Progress(double fraction, string status)
        {
            lock (_gate) { _fraction = fraction; _status = status; _fresh = true; }
        }

        public bool TryTakeProgress(out double fraction, out string status)
        {
            lock (_gate)
            {
                fraction = _fraction; status = _status;
                if (!_fresh) return false;
                _fresh = false;
                return true;
            }
        }

        public void Verbose(string message) => Messages.Enqueue((false, message));
        public void Warning(string message) => Messages.Enqueue((true, message));
    }
}

/// <summary>
/// A pipeline stage that emits one stage object and can persist it with <c>-OutFile</c>
/// (Export-Csv overwrite rules: overwrite by default, <c>-NoClobber</c> refuses, <c>-WhatIf</c> writes nothing).
/// </summary>
public abstract class EmbedPSStageCmdlet : EmbedPSCmdlet
{
    /// <summary>Also persist the result as an EmbedPS Parquet artifact at this path.</summary>
    [Parameter]
    [Alias("OutPath")]
    public string? OutFile { get; set; }

    /// <summary>Refuse to overwrite an existing -OutFile.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Overwrite a read-only -OutFile.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Checks -OutFile before any work (a refusal must not cost a computation).</summary>
    protected override void BeginProcessing()
    {
        if (OutFile is not null) CheckOutputTarget(OutFile, NoClobber, Force, nameof(OutFile));
    }

    /// <summary>Writes <paramref name="stageObject"/> to -OutFile when given (after ShouldProcess), then emits it.</summary>
    protected void SaveAndEmit(object stageObject)
    {
        if (OutFile is not null) SaveArtifact(this, stageObject, OutFile, NoClobber, Force);
        WriteObject(stageObject);
    }

    /// <summary>
    /// One result of a parameter sweep: written to -OutFile tagged with its swept settings (<c>map.k15.md0.05.parquet</c>;
    /// -OutFile itself when nothing was swept), then emitted.
    /// </summary>
    protected void SaveAndEmit(object stageObject, SweepBinding sweep, Provenance provenance)
    {
        if (OutFile is not null)
        {
            var target = sweep.OutFileFor(OutFile, provenance);
            if (!string.Equals(target, OutFile, StringComparison.Ordinal)) CheckOutputTarget(target, NoClobber, Force, nameof(OutFile));
            SaveArtifact(this, stageObject, target, NoClobber, Force);
        }
        WriteObject(stageObject);
    }

    internal static void SaveArtifact(EmbedPSCmdlet cmdlet, object stageObject, string outFile, bool noClobber, bool force)
    {
        var path = cmdlet.GetUnresolvedProviderPathFromPSPath(outFile);
        var kind = ArtifactKinds.Name(ArtifactStore.KindOf(stageObject));
        if (!cmdlet.ConfirmOverwrite(path, $"Write {kind} artifact", noClobber, force)) return;
        cmdlet.RunStagePublic("Writing " + Path.GetFileName(path), (_, ct) => { ArtifactStore.Write(stageObject, path, ct); return 0; }, path);
        cmdlet.WriteVerbose($"Wrote {kind} artifact '{path}' ({new FileInfo(path).Length:N0} bytes).");
    }
}
