<#
.SYNOPSIS
  Start/Stop VMs scheduled-events agent for Windows: the PowerShell twin of ../linux/ssv-events-agent.sh, step for step.
.DESCRIPTION
  Watches this VM's Azure Scheduled Events (IMDS), writes every new event to the Application event log (source
  SsvEventsAgent; stdout where no event log exists), runs your drain hook once per event, approves the event when the
  hook has finished (unless APPROVE is false), and reports the event to the Start/Stop VMs app with this VM's
  managed-identity token. Settings come from environment variables with the same names as the Linux agent's
  (IMDS_ENDPOINT, POLL_SECONDS, STATE_DIR, DRAIN_HOOK, RESTORE_HOOK, HOOK_EVENT_TYPES, HOOK_TIMEOUT_SECONDS, APPROVE,
  REPORT_URL, REPORT_AUDIENCE, MAX_POLLS). Install-SsvEventsAgent.ps1 runs it as a scheduled task at start-up.
#>
[CmdletBinding()]
param()
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Get-Setting([string]$Name, [string]$Default) {
    $value = [Environment]::GetEnvironmentVariable($Name)
    if ([string]::IsNullOrEmpty($value)) { return $Default }
    return $value
}

$ImdsEndpoint = Get-Setting 'IMDS_ENDPOINT' 'http://169.254.169.254'
$ApiVersion = '2020-07-01'
$PollSeconds = [double](Get-Setting 'POLL_SECONDS' '1')
$StateDir = Get-Setting 'STATE_DIR' (Join-Path $env:ProgramData 'SsvEventsAgent')
$DrainHook = Get-Setting 'DRAIN_HOOK' ''
$RestoreHook = Get-Setting 'RESTORE_HOOK' ''
$HookEventTypes = (Get-Setting 'HOOK_EVENT_TYPES' 'Freeze Reboot Redeploy Preempt Terminate') -split '\s+'
$HookTimeoutSeconds = [int](Get-Setting 'HOOK_TIMEOUT_SECONDS' '600')
$Approve = (Get-Setting 'APPROVE' 'true') -eq 'true'
$ReportUrl = Get-Setting 'REPORT_URL' ''
$ReportAudience = Get-Setting 'REPORT_AUDIENCE' ''
$MaxPolls = [int](Get-Setting 'MAX_POLLS' '0')
$script:Incarnation = 0

function Write-AgentLog([string]$Message) {
    # The Application event log when it exists (Windows), and stdout for the scheduled task's output and tests.
    if ($IsWindows -or $PSVersionTable.PSEdition -eq 'Desktop') {
        try {
            if (-not [Diagnostics.EventLog]::SourceExists('SsvEventsAgent')) { New-EventLog -LogName Application -Source 'SsvEventsAgent' }
            Write-EventLog -LogName Application -Source 'SsvEventsAgent' -EventId 1234 -EntryType Information -Message $Message
        } catch { Write-Verbose "event log unavailable: $_" }
    }
    Write-Output ('{0} {1}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $Message)
}

function Invoke-Imds([string]$Method, [string]$Path, [string]$Body = '') {
    $parameters = @{ Method = $Method; Uri = "$ImdsEndpoint$Path"; Headers = @{ Metadata = 'true' }; TimeoutSec = 10; NoProxy = $true }
    if ($Body) { $parameters.Body = $Body; $parameters.ContentType = 'application/json' }
    Invoke-RestMethod @parameters
}

# A marker file per event and step keeps the agent from repeating a step after a restart.
function Get-MarkerPath([string]$Id, [string]$Step) { Join-Path $StateDir "$Id.$Step" }
function Test-Marker([string]$Id, [string]$Step) { Test-Path (Get-MarkerPath $Id $Step) }
function Set-Marker([string]$Id, [string]$Step) { New-Item -ItemType File -Force -Path (Get-MarkerPath $Id $Step) | Out-Null }

function Invoke-Hook([string]$Hook, $EventObject) {
    # The hook gets the event as JSON on stdin and its fields as environment variables; it must finish in time.
    if (-not $Hook) { return $true }
    $env:EVENT_ID = $EventObject.EventId
    $env:EVENT_TYPE = $EventObject.EventType
    $env:EVENT_NOT_BEFORE = $EventObject.NotBefore
    $inputFile = New-TemporaryFile
    try {
        ($EventObject | ConvertTo-Json -Compress -Depth 5) | Set-Content -Path $inputFile -NoNewline
        $process = Start-Process -FilePath $Hook -RedirectStandardInput $inputFile -NoNewWindow -PassThru
        if (-not $process.WaitForExit($HookTimeoutSeconds * 1000)) { $process.Kill(); return $false }
        return $process.ExitCode -eq 0
    } finally {
        Remove-Item $inputFile -ErrorAction SilentlyContinue
    }
}

function Send-Report($EventObject, [string]$Status) {
    # POST the event to the app, authenticated with this VM's managed-identity token.
    if (-not $ReportUrl) { return $true }
    try {
        $token = (Invoke-Imds GET "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=$([uri]::EscapeDataString($ReportAudience))").access_token
    } catch {
        Write-AgentLog 'could not get a managed-identity token from IMDS; event not reported (does the VM have a system-assigned identity?)'
        return $false
    }
    $body = @{ vmId = $script:VmResourceId; agentStatus = $Status; documentIncarnation = $script:Incarnation; event = $EventObject } | ConvertTo-Json -Compress -Depth 6
    foreach ($attempt in 1..3) {
        try {
            Invoke-RestMethod -Method Post -Uri $ReportUrl -Headers @{ Authorization = "Bearer $token" } -ContentType 'application/json' -Body $body -TimeoutSec 15 | Out-Null
            return $true
        } catch { Start-Sleep -Seconds $attempt }
    }
    Write-AgentLog "reporting event $($EventObject.EventId) to the app failed after 3 attempts"
    return $false
}

function Send-Approval([string]$Id) {
    try {
        Invoke-Imds POST "/metadata/scheduledevents?api-version=$ApiVersion" (@{ StartRequests = @(@{ EventId = $Id }) } | ConvertTo-Json -Compress -Depth 4) | Out-Null
        Write-AgentLog "approved event $Id (StartRequests)"
        return $true
    } catch {
        Write-AgentLog "approving event $Id failed; will try again"
        return $false
    }
}

function Invoke-Event($EventObject) {
    $id = $EventObject.EventId
    $status = $EventObject.EventStatus
    if (-not (Test-Marker $id 'seen')) {
        Write-AgentLog ("new scheduled event {0}: {1} {2}, not before {3}, resources {4}, source {5}: {6}" -f $id, $EventObject.EventType, $status, $EventObject.NotBefore, ($EventObject.Resources -join ','), $EventObject.EventSource, $EventObject.Description)
        Set-Marker $id 'seen'
    }
    # Only events for this VM get the hook and the approval (an event may list other VMs of an availability set).
    if (-not ($EventObject.Resources | Where-Object { $_ -ieq $script:VmName })) { return }
    if (-not (Test-Marker $id 'reported') -and (Send-Report $EventObject $status)) { Set-Marker $id 'reported' }
    if ($HookEventTypes -notcontains $EventObject.EventType) { return }
    if (-not (Test-Marker $id 'hook-started')) {
        # Marked before it runs: after a restart mid-hook the hook is not run a second time for the same event.
        Set-Marker $id 'hook-started'
        Write-AgentLog "running drain hook for $($EventObject.EventType) $id"
        if (Invoke-Hook $DrainHook $EventObject) {
            Set-Marker $id 'hook-done'
            Write-AgentLog "drain hook finished for $id"
        } else {
            Write-AgentLog "drain hook FAILED for $id; the event is not approved and will start at its NotBefore time"
        }
    }
    # "settled": nothing is left to do for this event (approved, approval turned off, or it started on its own).
    if ((Test-Marker $id 'hook-done') -and -not (Test-Marker $id 'settled')) {
        if (-not $Approve -or $status -ne 'Scheduled') { Set-Marker $id 'settled' }
        elseif (Send-Approval $id) { Set-Marker $id 'settled' }
    }
}

function Complete-GoneEvents([string[]]$CurrentIds) {
    # Events that vanished from the document are done: run the restore hook once and forget them.
    foreach ($file in Get-ChildItem -Path $StateDir -Filter '*.seen' -ErrorAction SilentlyContinue) {
        $id = $file.BaseName
        if ($CurrentIds -notcontains $id) {
            Write-AgentLog "scheduled event $id is over"
            if ((Test-Marker $id 'hook-started') -and $RestoreHook) {
                $env:EVENT_ID = $id
                if (-not (Invoke-Hook $RestoreHook ([pscustomobject]@{ EventId = $id; EventType = ''; NotBefore = '' }))) { Write-AgentLog "restore hook failed for $id" }
            }
            Get-ChildItem -Path $StateDir -Filter "$id.*" | Remove-Item -Force
        }
    }
}

function Test-StepsPending {
    # A hook that finished whose approval has not gone out yet (IMDS was unreachable, say).
    foreach ($file in Get-ChildItem -Path $StateDir -Filter '*.hook-done' -ErrorAction SilentlyContinue) {
        if (-not (Test-Path (Join-Path $StateDir "$($file.BaseName).settled"))) { return $true }
    }
    return $false
}

New-Item -ItemType Directory -Force -Path $StateDir | Out-Null
while ($true) {
    try { $compute = Invoke-Imds GET '/metadata/instance/compute?api-version=2021-02-01'; break }
    catch { Write-AgentLog 'IMDS is not answering yet; retrying'; Start-Sleep -Seconds 5 }
}
$script:VmName = $compute.name
$script:VmResourceId = $compute.resourceId
Write-AgentLog "watching scheduled events for $($script:VmResourceId) (approve: $Approve, hook: $(if ($DrainHook) { $DrainHook } else { 'none' }))"
$last = $null
$polls = 0
while ($true) {
    try {
        $document = Invoke-Imds GET "/metadata/scheduledevents?api-version=$ApiVersion"
        $script:Incarnation = $document.DocumentIncarnation
        # Work only when the document changed, or while a step is still pending (an approval to send).
        if ($script:Incarnation -ne $last -or (Test-StepsPending)) {
            foreach ($eventObject in @($document.Events)) { if ($eventObject) { Invoke-Event $eventObject } }
            Complete-GoneEvents @($document.Events | ForEach-Object { $_.EventId })
            $last = $script:Incarnation
        }
    } catch {
        Write-AgentLog "reading scheduled events from IMDS failed; retrying ($_)"
    }
    $polls++
    if ($MaxPolls -gt 0 -and $polls -ge $MaxPolls) { break }
    Start-Sleep -Milliseconds ([int]($PollSeconds * 1000))
}
