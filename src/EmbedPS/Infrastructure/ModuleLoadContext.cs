using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace EmbedPS.Commands.Infrastructure;

/// <summary>
/// The module's own <see cref="AssemblyLoadContext"/> (the pattern PowerShell's documentation recommends for binary modules with
/// dependencies): EmbedPS.Core and everything it uses (Parquet.Net, SkiaSharp, ScottPlot, MathNet, ILGPU, Sep …) load from the
/// module's <c>dependencies</c> folder into this context, so another module that loaded a different version of one of them into
/// PowerShell's shared context neither breaks EmbedPS nor is broken by it. Assemblies of the runtime and of PowerShell itself
/// (the trusted platform assemblies) stay shared. Native libraries (Skia, HarfBuzz) load from <c>runtimes/&lt;rid&gt;/native</c>
/// for the running platform, so one package serves Windows, Linux and macOS on x64 and arm64.
/// </summary>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    private static readonly HashSet<string> PlatformAssemblies = LoadPlatformAssemblyNames();
    private readonly string _dependencies;
    private readonly string[] _nativeFolders;

    public ModuleLoadContext(string moduleRoot) : base("EmbedPS", isCollectible: false)
    {
        ModuleRoot = moduleRoot;
        _dependencies = Path.Combine(moduleRoot, "dependencies");
        _nativeFolders = NativeFolders(moduleRoot).ToArray();
    }

    public string ModuleRoot { get; }

    /// <summary>Whether the module was laid out with a dependencies folder (the built and installed module); a flat build
    /// folder (the xunit host, a plain dotnet build) has none and loads everything the ordinary way.</summary>
    public bool IsIsolated => Directory.Exists(_dependencies);

    public bool Holds(AssemblyName name) => name.Name is { } simple && File.Exists(Path.Combine(_dependencies, simple + ".dll"));

    protected override Assembly? Load(AssemblyName name)
    {
        // The runtime's and PowerShell's own assemblies are shared with the default context (type identity with PowerShell).
        if (name.Name is null || PlatformAssemblies.Contains(name.Name)) return null;
        var path = Path.Combine(_dependencies, name.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        foreach (var candidate in NativeFileNames(unmanagedDllName))
        {
            foreach (var folder in _nativeFolders)
            {
                var path = Path.Combine(folder, candidate);
                if (File.Exists(path)) return LoadUnmanagedDllFromPath(path);
            }
        }
        return IntPtr.Zero; // not ours (e.g. the CUDA driver): the default probing
    }

    /// <summary>The runtime identifier of this process, as NuGet names native folders: win-x64, linux-arm64, osx-arm64 ….</summary>
    public static string RuntimeIdentifier
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                Architecture.X86 => "x86",
                Architecture.Arm => "arm",
                var other => other.ToString().ToLowerInvariant(),
            };
            return $"{os}-{arch}";
        }
    }

    /// <summary>Where natives are looked for, most specific first: runtimes/&lt;rid&gt;/native, then runtimes/&lt;os&gt;/native
    /// (macOS ships one universal x64 + arm64 library).</summary>
    internal static IEnumerable<string> NativeFolders(string moduleRoot)
    {
        string rid = RuntimeIdentifier;
        yield return Path.Combine(moduleRoot, "runtimes", rid, "native");
        yield return Path.Combine(moduleRoot, "runtimes", rid[..rid.IndexOf('-')], "native");
    }

    /// <summary>File names a DllImport name can stand for: libSkiaSharp → libSkiaSharp.so / .dylib / .dll, and without 'lib'.</summary>
    internal static IEnumerable<string> NativeFileNames(string name)
    {
        string extension = OperatingSystem.IsWindows() ? ".dll" : OperatingSystem.IsMacOS() ? ".dylib" : ".so";
        string file = Path.GetFileName(name);
        bool hasExtension = file.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".so", StringComparison.Ordinal) ||
                            file.EndsWith(".dylib", StringComparison.Ordinal) || file.Contains(".so.", StringComparison.Ordinal);
        yield return hasExtension ? file : file + extension;
        if (!file.StartsWith("lib", StringComparison.Ordinal)) yield return "lib" + (hasExtension ? file : file + extension);
        else yield return (hasExtension ? file : file + extension)[3..];
    }

    private static HashSet<string> LoadPlatformAssemblyNames()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string list)
            foreach (var path in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                names.Add(Path.GetFileNameWithoutExtension(path));
        names.Add("System.Management.Automation");
        return names;
    }
}

/// <summary>
/// Creates the module's load context and lets the default context hand it the assemblies the cmdlets reference (EmbedPS.Core;
/// its own dependencies then resolve inside the module's context). <see cref="Register"/> runs from the manifest's
/// ScriptsToProcess (EmbedPS.Loader.ps1), before PowerShell scans the cmdlet types (their enum parameters and base types come
/// from EmbedPS.Core, so the scan already needs it); <see cref="OnImport"/> covers an import of EmbedPS.dll by path.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly object Gate = new();
    private static ModuleLoadContext? _context;

    /// <summary>The module's context, or null when the module runs from a flat folder (no dependencies folder).</summary>
    internal static ModuleLoadContext? Context => _context;

    public void OnImport() => Register(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location));

    /// <summary>Sets up the module's load context for the module folder <paramref name="moduleRoot"/> (once per process).</summary>
    public static void Register(string? moduleRoot)
    {
        lock (Gate)
        {
            if (_context is not null || string.IsNullOrEmpty(moduleRoot)) return;
            var context = new ModuleLoadContext(moduleRoot);
            if (!context.IsIsolated) return;
            _context = context;
            // Every request the default context cannot satisfy itself is offered to the handler (EmbedPS.Core, for the cmdlets).
            AssemblyLoadContext.Default.Resolving += ResolveFromModule;
            // Load the core now and name its public types, so that [EmbedPS.Core.*] type literals resolve in scripts: PowerShell's
            // type resolution does not search custom load contexts, but it does search its type accelerators.
            var core = context.LoadFromAssemblyName(new AssemblyName("EmbedPS.Core"));
            RegisterTypeNames(core);
        }
    }

    private static void RegisterTypeNames(Assembly assembly)
    {
        var accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
        var add = accelerators?.GetMethod("Add", BindingFlags.Public | BindingFlags.Static, new[] { typeof(string), typeof(Type) });
        var get = accelerators?.GetProperty("Get", BindingFlags.Public | BindingFlags.Static);
        if (add is null || get?.GetValue(null) is not IDictionary<string, Type> existing) return;
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.IsGenericTypeDefinition || type.FullName is not { } name || existing.ContainsKey(name)) continue;
            add.Invoke(null, new object[] { name, type });
        }
    }

    public void OnRemove(PSModuleInfo module)
    {
        // Assemblies cannot be unloaded; the context stays, so a re-import reuses it (OnImport registers only once).
    }

    /// <summary>Only the assemblies the cmdlet assembly references and the module holds; every other request stays with its owner.</summary>
    private static Assembly? ResolveFromModule(AssemblyLoadContext defaultContext, AssemblyName name)
    {
        var context = _context;
        if (context is null || !ReferencedByCmdlets.Contains(name.Name ?? "") || !context.Holds(name)) return null;
        return context.LoadFromAssemblyName(name);
    }

    private static readonly HashSet<string> ReferencedByCmdlets = new(
        typeof(ModuleInitializer).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? ""), StringComparer.OrdinalIgnoreCase);
}
