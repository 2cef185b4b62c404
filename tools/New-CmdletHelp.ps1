<#
.SYNOPSIS
    Generates MAML help (EmbedPS.dll-Help.xml) for the binary cmdlets from their XML doc comments.
.DESCRIPTION
    Conventions in the C# doc comments (the XmlDoc2CmdletDoc style):
      class:    <para type="synopsis">…</para>, <para type="description">…</para>,
                <example><code>…</code><para>…</para></example> (any number)
      property: <summary>…</summary> describes the parameter.
    Parameter names, types, positions, pipeline binding, sets and mandatory flags come from reflection,
    so the help cannot drift from the code.
#>
param(
    [Parameter(Mandatory)] [string] $AssemblyPath,
    [Parameter(Mandatory)] [string] $OutputPath
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Off
$assembly = [System.Reflection.Assembly]::LoadFrom((Resolve-Path $AssemblyPath).Path)
$docPath = [IO.Path]::ChangeExtension($AssemblyPath, '.xml')
$doc = if (Test-Path $docPath) { [xml](Get-Content $docPath -Raw) } else { $null }
$members = @{}
if ($doc) { foreach ($m in $doc.doc.members.member) { $members[$m.name] = $m } }

function Get-Text($node) {
    if ($null -eq $node) { return '' }
    if ($node -is [string]) { return ($node -replace '\s+', ' ').Trim() }
    ($node.InnerText -replace '\s+', ' ').Trim()
}
function Escape([string] $s) { [System.Security.SecurityElement]::Escape(($s -replace '[\x00-\x08\x0B\x0C\x0E-\x1F]', '')) }
function Format-Default($value) {
    if ($null -eq $value) { return '' }
    if ($value -is [string]) { return $value }
    if ($value -is [char]) { if ($value -eq [char]0) { return '' }; return [string]$value }
    if ($value -is [double] -or $value -is [float]) { if ([double]::IsNaN($value)) { return '' }; return $value.ToString('R', [cultureinfo]::InvariantCulture) }
    if ($value -is [Array]) { if ($value.Length -eq 0) { return '' }; return ($value | ForEach-Object { Format-Default $_ }) -join ', ' }
    [string]::Format([cultureinfo]::InvariantCulture, '{0}', $value)
}
# -WhatIf and -Confirm, which PowerShell adds to every cmdlet that supports ShouldProcess (Get-Help shows them only when the help lists them).
$shouldProcessParameters = @(
    [pscustomobject]@{ Name = 'WhatIf'; Type = 'SwitchParameter'; IsSwitch = $true; Default = 'False'; Description = 'Shows what would happen: the stage runs and emits its object, but no file is written.'
        Required = $false; Position = 'named'; Pipeline = 'false'; Aliases = 'wi'; ValidValues = @(); Sets = @('__AllParameterSets'); EnumValues = @() }
    [pscustomobject]@{ Name = 'Confirm'; Type = 'SwitchParameter'; IsSwitch = $true; Default = 'False'; Description = 'Prompts for confirmation before writing a file.'
        Required = $false; Position = 'named'; Pipeline = 'false'; Aliases = 'cf'; ValidValues = @(); Sets = @('__AllParameterSets'); EnumValues = @() }
)

$types = $assembly.GetExportedTypes() | Where-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).Count -gt 0 } | Sort-Object Name
$sb = [System.Text.StringBuilder]::new()
[void]$sb.AppendLine('<?xml version="1.0" encoding="utf-8"?>')
[void]$sb.AppendLine('<helpItems schema="maml" xmlns="http://msh">')
foreach ($type in $types) {
    $cmdletAttr = $type.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
    $name = "$($cmdletAttr.VerbName)-$($cmdletAttr.NounName)"
    $member = $members["T:$($type.FullName)"]
    $synopsis = ''; $description = @(); $examples = @()
    if ($member) {
        foreach ($p in $member.SelectNodes('.//para[@type]')) {
            if ($p.type -eq 'synopsis') { $synopsis = Get-Text $p }
            elseif ($p.type -eq 'description') { $description += Get-Text $p }
        }
        foreach ($e in $member.SelectNodes('example')) {
            $examples += [pscustomobject]@{ Code = ($e.SelectSingleNode('code').InnerText).Trim(); Remarks = (@($e.SelectNodes('para')) | ForEach-Object { Get-Text $_ }) -join ' ' }
        }
    }
    $outputTypes = $type.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $false) | ForEach-Object { $_.Type } | ForEach-Object { $_.Name }
    # Defaults are what a fresh cmdlet object holds (the property initialisers); null, empty and unset values show none.
    $fresh = try { [Activator]::CreateInstance($type) } catch { $null }
    $parameters = foreach ($prop in $type.GetProperties()) {
        $attrs = $prop.GetCustomAttributes([System.Management.Automation.ParameterAttribute], $true)
        if ($attrs.Count -eq 0) { continue }
        $pm = $members["P:$($prop.DeclaringType.FullName).$($prop.Name)"]
        $aliases = ($prop.GetCustomAttributes([System.Management.Automation.AliasAttribute], $true) | ForEach-Object { $_.AliasNames }) -join ', '
        $validate = $prop.GetCustomAttributes([System.Management.Automation.ValidateSetAttribute], $true) | ForEach-Object { $_.ValidValues }
        $pipeline = @()
        if ($attrs | Where-Object ValueFromPipeline) { $pipeline += 'ByValue' }
        if ($attrs | Where-Object ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
        $pos = ($attrs | Where-Object { $_.Position -ge 0 } | Select-Object -First 1).Position
        $isSwitch = $prop.PropertyType -eq [System.Management.Automation.SwitchParameter]
        $default = if ($isSwitch) { 'False' } elseif ($fresh) { Format-Default ($prop.GetValue($fresh)) } else { '' }
        if ([bool]($attrs | Where-Object Mandatory)) { $default = '' }
        [pscustomobject]@{
            Name = $prop.Name; Type = $(if ($under = [Nullable]::GetUnderlyingType($prop.PropertyType)) { $under.Name } else { $prop.PropertyType.Name }); IsSwitch = $isSwitch; Default = $default
            EnumValues = @(if ($prop.PropertyType.IsEnum) { [Enum]::GetNames($prop.PropertyType) } elseif ([Nullable]::GetUnderlyingType($prop.PropertyType).IsEnum) { [Enum]::GetNames([Nullable]::GetUnderlyingType($prop.PropertyType)) })
            Description = (Get-Text $(if ($pm) { $pm.SelectSingleNode('summary') }))
            Required = [bool]($attrs | Where-Object Mandatory); Position = if ($null -ne $pos) { "$pos" } else { 'named' }
            Pipeline = if ($pipeline) { 'true (' + ($pipeline -join ', ') + ')' } else { 'false' }
            Aliases = $aliases; ValidValues = @($validate)
            Sets = @($attrs | ForEach-Object ParameterSetName | Sort-Object -Unique)
        }
    }
    if ($cmdletAttr.SupportsShouldProcess) { $parameters = @($parameters) + $shouldProcessParameters }
    $sets = @($parameters | ForEach-Object Sets | Where-Object { $_ -ne '__AllParameterSets' } | Sort-Object -Unique)
    if ($sets.Count -eq 0) { $sets = @('__AllParameterSets') }
    [void]$sb.AppendLine('  <command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">')
    [void]$sb.AppendLine("    <command:details><command:name>$name</command:name><command:verb>$($cmdletAttr.VerbName)</command:verb><command:noun>$($cmdletAttr.NounName)</command:noun>")
    [void]$sb.AppendLine("      <maml:description><maml:para>$(Escape $synopsis)</maml:para></maml:description></command:details>")
    [void]$sb.AppendLine('    <maml:description>' + (($description | ForEach-Object { "<maml:para>$(Escape $_)</maml:para>" }) -join '') + '</maml:description>')
    [void]$sb.AppendLine('    <command:syntax>')
    foreach ($set in $sets) {
        [void]$sb.AppendLine("      <command:syntaxItem><maml:name>$name</maml:name>")
        foreach ($p in $parameters | Where-Object { $_.Sets -contains $set -or $_.Sets -contains '__AllParameterSets' }) {
            # A switch takes no value: its syntax is [-Name], not [-Name <SwitchParameter>].
            $choices = if ($p.ValidValues.Count) { $p.ValidValues } else { $p.EnumValues }
            $value = if ($p.IsSwitch) { '' }
                elseif ($choices.Count) { '<command:parameterValueGroup>' + (($choices | ForEach-Object { "<command:parameterValue required=`"false`" variableLength=`"false`">$_</command:parameterValue>" }) -join '') + '</command:parameterValueGroup>' }
                else { "<command:parameterValue required=`"true`">$($p.Type)</command:parameterValue>" }
            [void]$sb.AppendLine("        <command:parameter required=`"$($p.Required.ToString().ToLower())`" position=`"$($p.Position)`" pipelineInput=`"$($p.Pipeline)`"><maml:name>$($p.Name)</maml:name>$value</command:parameter>")
        }
        [void]$sb.AppendLine('      </command:syntaxItem>')
    }
    [void]$sb.AppendLine('    </command:syntax>')
    [void]$sb.AppendLine('    <command:parameters>')
    foreach ($p in $parameters) {
        $desc = $p.Description
        if ($p.ValidValues.Count) { $desc += " Valid values: $($p.ValidValues -join ', ')." }
        $valueRequired = if ($p.IsSwitch) { 'false' } else { 'true' }
        [void]$sb.AppendLine("      <command:parameter required=`"$($p.Required.ToString().ToLower())`" position=`"$($p.Position)`" pipelineInput=`"$($p.Pipeline)`" aliases=`"$(Escape $p.Aliases)`"><maml:name>$($p.Name)</maml:name><maml:description><maml:para>$(Escape $desc)</maml:para></maml:description><command:parameterValue required=`"$valueRequired`">$($p.Type)</command:parameterValue><dev:type><maml:name>$($p.Type)</maml:name></dev:type><dev:defaultValue>$(Escape $p.Default)</dev:defaultValue></command:parameter>")
    }
    [void]$sb.AppendLine('    </command:parameters>')
    [void]$sb.AppendLine('    <command:returnValues>')
    foreach ($o in $outputTypes) { [void]$sb.AppendLine("      <command:returnValue><dev:type><maml:name>$o</maml:name></dev:type></command:returnValue>") }
    [void]$sb.AppendLine('    </command:returnValues>')
    [void]$sb.AppendLine('    <command:examples>')
    $i = 0
    foreach ($e in $examples) {
        $i++
        [void]$sb.AppendLine("      <command:example><maml:title>-------------------------- Example $i --------------------------</maml:title><dev:code>$(Escape $e.Code)</dev:code><dev:remarks><maml:para>$(Escape $e.Remarks)</maml:para></dev:remarks></command:example>")
    }
    [void]$sb.AppendLine('    </command:examples>')
    [void]$sb.AppendLine('  </command:command>')
}
[void]$sb.AppendLine('</helpItems>')
New-Item -ItemType Directory (Split-Path $OutputPath) -Force | Out-Null
Set-Content -Path $OutputPath -Value $sb.ToString() -Encoding utf8NoBOM
