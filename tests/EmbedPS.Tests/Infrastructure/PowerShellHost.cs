using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace EmbedPS.Tests.Infrastructure;

/// <summary>Runs EmbedPS cmdlets in-process, for plumbing tests (binding, ShouldProcess, progress, errors).</summary>
public static class PowerShellHost
{
    public static PowerShell Create()
    {
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(typeof(EmbedPS.Commands.Infrastructure.EmbedPSCmdlet).Assembly.Location);
        var ps = PowerShell.Create(state);
        return ps;
    }
}
