using System.Globalization;

namespace EmbedPS.Core.Common;

/// <summary>The limits on this process's memory, as read at one moment (see <c>MemoryBudget.Read</c>).</summary>
/// <param name="GcLimitBytes">
/// <c>GC.GetGCMemoryInfo().TotalAvailableMemoryBytes</c>: the GC's hard limit when one is set (<c>DOTNET_GCHeapHardLimit</c>,
/// <c>GCHeapHardLimitPercent</c>, or the default 75 % of a container's limit), otherwise the machine's physical memory.
/// </param>
/// <param name="CgroupLimitBytes">The cgroup v2 <c>memory.max</c> or v1 <c>memory.limit_in_bytes</c>; null when unlimited or absent.</param>
/// <param name="CgroupUsageBytes">The cgroup's current usage (<c>memory.current</c> / <c>memory.usage_in_bytes</c>); null when absent.</param>
/// <param name="SystemAvailableBytes"><c>MemAvailable</c> of /proc/meminfo (free plus reclaimable memory of the machine); null when absent.</param>
public sealed record MemoryLimits(long GcLimitBytes, long? CgroupLimitBytes, long? CgroupUsageBytes, long? SystemAvailableBytes)
{
    /// <summary>The most this process may hold: the smaller of the GC limit and the cgroup limit.</summary>
    public long LimitBytes => CgroupLimitBytes is { } c ? Math.Min(GcLimitBytes, c) : GcLimitBytes;

    /// <summary>What this process may still allocate when its managed heap holds <paramref name="managedInUse"/> bytes.</summary>
    public long AvailableBytes(long managedInUse)
    {
        long available = GcLimitBytes - managedInUse;
        if (CgroupLimitBytes is { } limit) available = Math.Min(available, limit - (CgroupUsageBytes ?? managedInUse));
        if (SystemAvailableBytes is { } system) available = Math.Min(available, system);
        return Math.Max(0, available);
    }

    public override string ToString()
    {
        var parts = new List<string> { $"GC limit {MemoryBudget.Format(GcLimitBytes)}" };
        if (CgroupLimitBytes is { } c) parts.Add($"cgroup limit {MemoryBudget.Format(c)}" + (CgroupUsageBytes is { } u ? $" of which {MemoryBudget.Format(u)} in use" : ""));
        if (SystemAvailableBytes is { } s) parts.Add($"{MemoryBudget.Format(s)} available on the machine");
        return string.Join(", ", parts);
    }
}

/// <summary>
/// What this process may actually use: the GC's hard limit when one is set, a container's cgroup (v2 or v1) memory limit,
/// and the machine's available memory. One place for every memory guard (the co-occurrence stage's exact-or-capped
/// decision, the artifact readers' refusal).
/// </summary>
/// <remarks>
/// <c>GC.GetGCMemoryInfo().TotalAvailableMemoryBytes</c> already reflects <c>DOTNET_GCHeapHardLimit</c> (checked: with
/// <c>DOTNET_GCHeapHardLimit=0x200000000</c> it reports 8 GiB on a 24 GiB machine) and, inside a container with a memory
/// limit, the runtime's default hard limit of 75 % of it. The cgroup files are read as well because the cgroup limit
/// counts native memory and the page cache of the whole group, which the GC's number does not.
/// </remarks>
public static class MemoryBudget
{
    public const string DefaultCgroupRoot = "/sys/fs/cgroup";
    public const string DefaultMeminfoPath = "/proc/meminfo";

    /// <summary>cgroup v1 writes a page-rounded 2^63 for "no limit"; anything this large is no limit.</summary>
    private const long Unlimited = 1L << 60;

    /// <summary>The limits now, from the runtime, <paramref name="cgroupRoot"/> and <paramref name="meminfoPath"/> (injectable for tests).</summary>
    public static MemoryLimits Read(string cgroupRoot = DefaultCgroupRoot, string meminfoPath = DefaultMeminfoPath) =>
        Override.Value ?? Read(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, cgroupRoot, meminfoPath);

    /// <summary>Limits that replace the real ones in this asynchronous flow only (tests of the guards).</summary>
    internal static readonly AsyncLocal<MemoryLimits?> Override = new();

    public static MemoryLimits Read(long gcLimitBytes, string cgroupRoot, string meminfoPath)
    {
        var (limit, usage) = ReadCgroup(cgroupRoot);
        return new MemoryLimits(gcLimitBytes, limit, usage, ReadMemAvailable(meminfoPath));
    }

    /// <summary>The cgroup's memory limit and usage: v2 (<c>memory.max</c>, <c>memory.current</c>) first, then v1 (<c>memory/memory.limit_in_bytes</c>, <c>memory/memory.usage_in_bytes</c>).</summary>
    public static (long? Limit, long? Usage) ReadCgroup(string cgroupRoot)
    {
        var v2 = Path.Combine(cgroupRoot, "memory.max");
        if (File.Exists(v2)) return (ParseLimit(ReadText(v2)), ParseLimit(ReadText(Path.Combine(cgroupRoot, "memory.current"))));
        var v1 = Path.Combine(cgroupRoot, "memory", "memory.limit_in_bytes");
        if (File.Exists(v1)) return (ParseLimit(ReadText(v1)), ParseLimit(ReadText(Path.Combine(cgroupRoot, "memory", "memory.usage_in_bytes"))));
        return (null, null);
    }

    /// <summary>A cgroup memory value: bytes, or null for "max", an unlimited v1 value, an empty or unreadable file.</summary>
    public static long? ParseLimit(string? text)
    {
        var t = text?.Trim();
        if (string.IsNullOrEmpty(t) || t == "max") return null;
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes)) return null; // also a value beyond 2^63: no limit
        return bytes >= Unlimited ? null : bytes;
    }

    /// <summary>MemAvailable of a /proc/meminfo file, in bytes; null when the file or the line is missing.</summary>
    public static long? ReadMemAvailable(string meminfoPath)
    {
        var text = ReadText(meminfoPath);
        if (text is null) return null;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
            var fields = line["MemAvailable:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 1 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                return fields.Length >= 2 && fields[1] == "kB" ? value * 1024 : value;
        }
        return null;
    }

    private static string? ReadText(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path) : null; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The most this process may hold (GC hard limit, cgroup limit).</summary>
    public static long LimitBytes() => Read().LimitBytes;

    /// <summary>What this process may still allocate now.</summary>
    public static long AvailableBytes() => Read().AvailableBytes(GC.GetTotalMemory(false));

    /// <summary>The limits in words, for error messages.</summary>
    public static string Describe() => Read().ToString();

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.00", CultureInfo.InvariantCulture) + " MiB",
        _ => bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes",
    };
}
