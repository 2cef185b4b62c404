using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace EmbedPS.Core.Compute;

/// <summary>
/// ILGPU set-up shared by the GPU back-ends: the native-library resolver for the CUDA driver and device discovery.
/// </summary>
public static class IlgpuRuntime
{
    private static readonly object s_gate = new();
    private static bool s_resolverInstalled;

    /// <summary>
    /// ILGPU imports the CUDA driver as "cuda", which .NET probes as <c>libcuda.so</c>; driver-only installs and containers
    /// often ship only <c>libcuda.so.1</c>. The resolver tries the default first, then the versioned name (likewise for NVML).
    /// </summary>
    public static void InstallCudaResolver()
    {
        lock (s_gate)
        {
            if (s_resolverInstalled) return;
            s_resolverInstalled = true;
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // ILGPU (or someone else) already installed a resolver for its assembly (its WSL resolver does); keep theirs.
            }
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (NativeLibrary.TryLoad(libraryName, assembly, searchPath, out var handle)) return handle;
        if (!OperatingSystem.IsLinux()) return IntPtr.Zero;
        string bare = Path.GetFileName(libraryName);
        if (bare.StartsWith("lib", StringComparison.Ordinal)) bare = bare[3..];
        int so = bare.IndexOf(".so", StringComparison.Ordinal);
        if (so >= 0) bare = bare[..so];
        foreach (var candidate in new[] { $"lib{bare}.so.1", $"lib{bare}.so" })
        {
            if (NativeLibrary.TryLoad(candidate, out handle)) return handle;
        }
        return IntPtr.Zero;
    }

    /// <summary>A context with the CUDA back-end only (and the algorithms library for XMath), or null with the reason.</summary>
    public static Context? TryCreateCudaContext(out string why)
    {
        InstallCudaResolver();
        try
        {
            var context = Context.Create(builder => builder.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
            if (context.GetCudaDevices().Count == 0)
            {
                context.Dispose();
                why = "ILGPU found no CUDA device";
                return null;
            }
            why = "";
            return context;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            why = $"CUDA unavailable: {ex.GetType().Name}: {ex.Message}";
            return null;
        }
    }

    /// <summary>Every device ILGPU sees (CPU emulator, CUDA, OpenCL), in words: for the GPU check tool and -Verbose.</summary>
    public static IReadOnlyList<string> DescribeDevices()
    {
        InstallCudaResolver();
        using var context = Context.Create(builder => builder.Default().EnableAlgorithms());
        return context.Devices.Select(d => $"{d.AcceleratorType}: {d.Name} (memory {d.MemorySize / (1024.0 * 1024 * 1024):F1} GiB, warp {d.WarpSize}, max group {d.MaxNumThreadsPerGroup})").ToList();
    }
}
