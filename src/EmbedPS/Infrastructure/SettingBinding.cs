using System.Management.Automation;
using System.Reflection;
using EmbedPS.Core.Common;

namespace EmbedPS.Commands.Infrastructure;

/// <summary>
/// How a cmdlet meets its stage's settings class (the one place an option's default and range are written): its parameter
/// properties start at the setting's default (so Get-Help shows it), <see cref="ValidateSettingAttribute"/> checks a value
/// against the setting's range and names, and <see cref="Given"/> hands the core exactly the options the user gave, so the
/// core's resolution (the same the pipeline uses) fills in the rest. A test checks that every setting has a parameter of
/// the same name and type whose default is the setting's.
/// </summary>
public static class SettingBinding
{
    /// <summary>The options bound on the command line (switches as bool), by setting name.</summary>
    public static Dictionary<string, object?> Given(PSCmdlet cmdlet, IEnumerable<SettingSpec> settings)
    {
        var given = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var bound = cmdlet.MyInvocation.BoundParameters;
        foreach (var setting in settings)
        {
            if (!bound.TryGetValue(setting.Name, out var value)) continue;
            given[setting.Name] = value switch
            {
                SwitchParameter s => s.IsPresent,
                PSObject p => p.BaseObject,
                _ => value,
            };
        }
        return given;
    }
}

/// <summary>Validates a parameter against the range and allowed names of a setting declared in a core settings class.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateSettingAttribute(Type settings, string name) : ValidateArgumentsAttribute
{
    public SettingSpec Setting { get; } =
        settings.GetField(name, BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as SettingSpec
        ?? throw new ArgumentException($"{settings.Name} declares no setting '{name}'.");

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject p ? p.BaseObject : arguments;
        if (Setting.Check(value) is { } problem)
            throw new ValidationMetadataException($"{problem} ({Setting.Help.TrimEnd('.')}).");
    }
}
