<#
.SYNOPSIS
  Installs (or with -Uninstall removes) the Start/Stop VMs scheduled-events agent as a scheduled task that runs at
  start-up as SYSTEM and restarts when it stops. Settings are machine environment variables with the Linux agent's
  names (DRAIN_HOOK, APPROVE, REPORT_URL, REPORT_AUDIENCE, ...), passed with -Settings.
.EXAMPLE
  .\Install-SsvEventsAgent.ps1 -Settings @{ DRAIN_HOOK = 'C:\drain\drain.cmd'; APPROVE = 'true' }
  .\Install-SsvEventsAgent.ps1 -Uninstall
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [hashtable]$Settings = @{},
    [switch]$Uninstall
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$taskName = 'SsvEventsAgent'
$target = Join-Path $env:ProgramFiles 'SsvEventsAgent'

if ($Uninstall) {
    if ($PSCmdlet.ShouldProcess($taskName, 'remove')) {
        Unregister-ScheduledTask -TaskName $taskName -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Item -Recurse -Force $target -ErrorAction SilentlyContinue
        Write-Output 'SsvEventsAgent removed'
    }
    return
}

if ($PSCmdlet.ShouldProcess($taskName, 'install')) {
    New-Item -ItemType Directory -Force -Path $target | Out-Null
    Copy-Item -Force (Join-Path $PSScriptRoot 'SsvEventsAgent.ps1') $target
    foreach ($name in $Settings.Keys) { [Environment]::SetEnvironmentVariable($name, [string]$Settings[$name], 'Machine') }
    $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument "-NoProfile -ExecutionPolicy Bypass -File `"$target\SsvEventsAgent.ps1`""
    $trigger = New-ScheduledTaskTrigger -AtStartup
    $settings = New-ScheduledTaskSettingsSet -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -ExecutionTimeLimit ([TimeSpan]::Zero)
    Register-ScheduledTask -TaskName $taskName -Action $action -Trigger $trigger -Settings $settings -User 'SYSTEM' -RunLevel Highest -Force | Out-Null
    Start-ScheduledTask -TaskName $taskName
    Write-Output 'SsvEventsAgent installed; events in the Application log, source SsvEventsAgent'
}
