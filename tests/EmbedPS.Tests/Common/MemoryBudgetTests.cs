using EmbedPS.Core.Common;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Common;

[Trait("Category", "Unit")]
public class MemoryBudgetTests
{
    private static string Write(TempDirectory dir, string relative, string text)
    {
        var path = Path.Combine(dir.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Cgroup_v2_limit_and_usage_are_read_from_memory_max_and_memory_current()
    {
        using var dir = new TempDirectory();
        Write(dir, "memory.max", "8589934592\n");
        Write(dir, "memory.current", "1073741824\n");
        var meminfo = Write(dir, "meminfo", "MemTotal:       24000000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n");
        var limits = MemoryBudget.Read(gcLimitBytes: 16L << 30, dir.Path, meminfo);
        Assert.Equal(8L << 30, limits.CgroupLimitBytes);
        Assert.Equal(1L << 30, limits.CgroupUsageBytes);
        Assert.Equal(20_000_000L * 1024, limits.SystemAvailableBytes);
        Assert.Equal(8L << 30, limits.LimitBytes); // the cgroup is tighter than the GC's 16 GiB
        // 8 GiB limit − 1 GiB used by the group = 7 GiB, below the GC's 16 GiB − 2 GiB and the machine's 19 GiB.
        Assert.Equal(7L << 30, limits.AvailableBytes(managedInUse: 2L << 30));
    }

    [Fact]
    public void Cgroup_v2_max_means_no_limit()
    {
        using var dir = new TempDirectory();
        Write(dir, "memory.max", "max\n");
        Write(dir, "memory.current", "5000\n");
        var limits = MemoryBudget.Read(gcLimitBytes: 4L << 30, dir.Path, Path.Combine(dir.Path, "no-meminfo"));
        Assert.Null(limits.CgroupLimitBytes);
        Assert.Null(limits.SystemAvailableBytes);
        Assert.Equal(4L << 30, limits.LimitBytes);
        Assert.Equal((4L << 30) - 100, limits.AvailableBytes(100));
    }

    [Fact]
    public void Cgroup_v1_limit_is_read_and_its_unlimited_value_ignored()
    {
        using var dir = new TempDirectory();
        Write(dir, "memory/memory.limit_in_bytes", "2147483648\n");
        Write(dir, "memory/memory.usage_in_bytes", "536870912\n");
        var limits = MemoryBudget.Read(gcLimitBytes: 16L << 30, dir.Path, Path.Combine(dir.Path, "none"));
        Assert.Equal(2L << 30, limits.CgroupLimitBytes);
        Assert.Equal(512L << 20, limits.CgroupUsageBytes);
        Assert.Equal(2L << 30, limits.LimitBytes);
        Assert.Equal((2L << 30) - (512L << 20), limits.AvailableBytes(0));

        Write(dir, "memory/memory.limit_in_bytes", "9223372036854771712\n"); // v1's "no limit"
        Assert.Null(MemoryBudget.Read(gcLimitBytes: 16L << 30, dir.Path, "none").CgroupLimitBytes);
        Write(dir, "memory/memory.limit_in_bytes", "18446744073709551615\n"); // beyond int64: no limit
        Assert.Null(MemoryBudget.Read(gcLimitBytes: 16L << 30, dir.Path, "none").CgroupLimitBytes);
    }

    [Fact]
    public void Without_cgroup_files_the_gc_limit_and_the_machines_available_memory_decide()
    {
        using var dir = new TempDirectory();
        var meminfo = Write(dir, "meminfo", "MemTotal: 100 kB\nMemAvailable:      3000 kB\n");
        var limits = MemoryBudget.Read(gcLimitBytes: 10L << 20, dir.Path, meminfo);
        Assert.Null(limits.CgroupLimitBytes);
        Assert.Equal(3000L * 1024, limits.SystemAvailableBytes);
        Assert.Equal(10L << 20, limits.LimitBytes);
        Assert.Equal(3000L * 1024, limits.AvailableBytes(1L << 20)); // the machine has less than the GC would allow
        Assert.Equal(0, limits.AvailableBytes(11L << 20));           // never negative
        Assert.Contains("GC limit 10.00 MiB", limits.ToString());
        Assert.Contains("2.93 MiB available on the machine", limits.ToString());
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("max", null)]
    [InlineData("  4096 \n", 4096L)]
    [InlineData("-1", null)]
    [InlineData("12ab", null)]
    [InlineData("1152921504606846976", null)] // 2^60: treated as no limit
    public void Cgroup_values_parse(string text, long? expected) => Assert.Equal(expected, MemoryBudget.ParseLimit(text));

    [Fact]
    public void The_real_limits_are_positive_and_the_gc_limit_reflects_the_runtime()
    {
        var limits = MemoryBudget.Read();
        Assert.Equal(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, limits.GcLimitBytes);
        Assert.True(limits.LimitBytes > 0);
        Assert.True(MemoryBudget.AvailableBytes() <= limits.LimitBytes);
    }
}
