#!/usr/bin/env bash
# Start/Stop VMs scheduled-events agent: watches this VM's Azure Scheduled Events (IMDS), logs every new event to the
# OS log, runs your drain hook once per event, approves the event when the hook has finished (unless told never to),
# and reports the event to the Start/Stop VMs app with this VM's managed-identity token.
# Needs bash, curl and jq. Configuration: environment, usually from /etc/ssv-events-agent.conf (see README).
set -uo pipefail

IMDS_ENDPOINT="${IMDS_ENDPOINT:-http://169.254.169.254}"
API_VERSION="2020-07-01"
POLL_SECONDS="${POLL_SECONDS:-1}"
STATE_DIR="${STATE_DIR:-/var/lib/ssv-events-agent}"
DRAIN_HOOK="${DRAIN_HOOK:-}"
RESTORE_HOOK="${RESTORE_HOOK:-}"
HOOK_EVENT_TYPES="${HOOK_EVENT_TYPES:-Freeze Reboot Redeploy Preempt Terminate}"
HOOK_TIMEOUT_SECONDS="${HOOK_TIMEOUT_SECONDS:-600}"
APPROVE="${APPROVE:-true}"
REPORT_URL="${REPORT_URL:-}"
REPORT_AUDIENCE="${REPORT_AUDIENCE:-}"
LOG_TAG="${LOG_TAG:-ssv-events-agent}"
# Stop after this many polls (0 = run forever); used by tests.
MAX_POLLS="${MAX_POLLS:-0}"

log() {
  # The OS log (journald/syslog) when logger exists, and stdout for `journalctl -u` and test harnesses.
  if command -v logger >/dev/null 2>&1; then logger -t "$LOG_TAG" -- "$*" 2>/dev/null || true; fi
  printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

imds() {
  # imds METHOD PATH [BODY]: one IMDS call; prints the body, fails on a non-2xx answer.
  local method="$1" path="$2" body="${3:-}"
  local args=(--silent --show-error --fail --max-time 10 --noproxy '*' -H "Metadata: true" -X "$method")
  if [ -n "$body" ]; then args+=(-H "Content-Type: application/json" --data "$body"); fi
  curl "${args[@]}" "${IMDS_ENDPOINT}${path}"
}

# A marker file per event and step keeps the agent from repeating a step after a restart.
marker() { printf '%s/%s.%s' "$STATE_DIR" "$1" "$2"; }
has_marker() { [ -e "$(marker "$1" "$2")" ]; }
set_marker() { : >"$(marker "$1" "$2")"; }

wants_hook() {
  local type="$1" t
  for t in $HOOK_EVENT_TYPES; do [ "$t" = "$type" ] && return 0; done
  return 1
}

run_hook() {
  # run_hook HOOK EVENT_JSON: the hook gets the event as JSON on stdin and its fields as environment variables.
  local hook="$1" event="$2"
  [ -n "$hook" ] || return 0
  EVENT_ID="$(jq -r .EventId <<<"$event")" EVENT_TYPE="$(jq -r .EventType <<<"$event")" \
    EVENT_NOT_BEFORE="$(jq -r .NotBefore <<<"$event")" \
    timeout "$HOOK_TIMEOUT_SECONDS" "$hook" <<<"$event"
}

report() {
  # report EVENT_JSON STATUS: POST the event to the app, authenticated with this VM's managed-identity token.
  local event="$1" status="$2" token body
  [ -n "$REPORT_URL" ] || return 0
  if ! token="$(imds GET "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=$(jq -rn --arg a "$REPORT_AUDIENCE" '$a|@uri')" | jq -r .access_token)"; then
    log "could not get a managed-identity token from IMDS; event not reported (does the VM have a system-assigned identity?)"
    return 1
  fi
  body="$(jq -c --arg vm "$VM_RESOURCE_ID" --arg status "$status" --argjson inc "$INCARNATION" \
    '{vmId: $vm, agentStatus: $status, documentIncarnation: $inc, event: .}' <<<"$event")"
  local attempt
  for attempt in 1 2 3; do
    if curl --silent --show-error --fail --max-time 15 -X POST -H "Authorization: Bearer ${token}" \
      -H "Content-Type: application/json" --data "$body" "$REPORT_URL" >/dev/null; then
      return 0
    fi
    sleep "$attempt"
  done
  log "reporting event $(jq -r .EventId <<<"$event") to the app failed after 3 attempts"
  return 1
}

approve() {
  local id="$1"
  if imds POST "/metadata/scheduledevents?api-version=${API_VERSION}" "{\"StartRequests\":[{\"EventId\":\"${id}\"}]}" >/dev/null; then
    log "approved event ${id} (StartRequests)"
    return 0
  fi
  log "approving event ${id} failed; will try again"
  return 1
}

handle_event() {
  local event="$1" id type status
  id="$(jq -r .EventId <<<"$event")"
  type="$(jq -r .EventType <<<"$event")"
  status="$(jq -r .EventStatus <<<"$event")"
  if ! has_marker "$id" seen; then
    log "new scheduled event ${id}: ${type} ${status}, not before $(jq -r .NotBefore <<<"$event"), resources $(jq -c .Resources <<<"$event"), source $(jq -r .EventSource <<<"$event"): $(jq -r .Description <<<"$event")"
    set_marker "$id" seen
  fi
  # Only events for this VM get the hook and the approval (an event may list other VMs of an availability set).
  jq -e --arg me "$VM_NAME" '.Resources | map(ascii_downcase) | index($me | ascii_downcase)' <<<"$event" >/dev/null || return 0
  if ! has_marker "$id" reported && report "$event" "$status"; then set_marker "$id" reported; fi
  wants_hook "$type" || return 0
  if ! has_marker "$id" hook-started; then
    # Marked before it runs: after a restart mid-hook the hook is not run a second time for the same event.
    set_marker "$id" hook-started
    log "running drain hook for ${type} ${id}"
    if run_hook "$DRAIN_HOOK" "$event"; then
      set_marker "$id" hook-done
      log "drain hook finished for ${id}"
    else
      log "drain hook FAILED for ${id} (exit $?); the event is not approved and will start at its NotBefore time"
    fi
  fi
  # "settled": nothing is left to do for this event (approved, approval turned off, or it started on its own).
  if has_marker "$id" hook-done && ! has_marker "$id" settled; then
    if [ "$APPROVE" != "true" ] || [ "$status" != "Scheduled" ]; then
      set_marker "$id" settled
    elif approve "$id"; then
      set_marker "$id" settled
    fi
  fi
}

finish_gone_events() {
  # Events that vanished from the document are done: run the restore hook once and forget them.
  local current="$1" file id
  for file in "$STATE_DIR"/*.seen; do
    [ -e "$file" ] || continue
    id="$(basename "$file" .seen)"
    if ! grep -qxF "$id" <<<"$current"; then
      log "scheduled event ${id} is over"
      if has_marker "$id" hook-started && [ -n "$RESTORE_HOOK" ]; then
        EVENT_ID="$id" timeout "$HOOK_TIMEOUT_SECONDS" "$RESTORE_HOOK" </dev/null || log "restore hook failed for ${id}"
      fi
      rm -f "$STATE_DIR/${id}".*
    fi
  done
}

steps_pending() {
  # A hook that finished whose approval has not gone out yet (IMDS was unreachable, say).
  local file
  for file in "$STATE_DIR"/*.hook-done; do
    [ -e "$file" ] && [ ! -e "${file%.hook-done}.settled" ] && return 0
  done
  return 1
}

main() {
  command -v jq >/dev/null 2>&1 || { echo "ssv-events-agent needs jq (apt-get install jq / dnf install jq)" >&2; exit 2; }
  mkdir -p "$STATE_DIR"
  local compute
  until compute="$(imds GET "/metadata/instance/compute?api-version=2021-02-01")"; do
    log "IMDS is not answering yet; retrying"
    sleep 5
  done
  VM_NAME="$(jq -r .name <<<"$compute")"
  VM_RESOURCE_ID="$(jq -r .resourceId <<<"$compute")"
  log "watching scheduled events for ${VM_RESOURCE_ID} (approve: ${APPROVE}, hook: ${DRAIN_HOOK:-none})"
  local last="" polls=0 document events
  INCARNATION=0
  while :; do
    if document="$(imds GET "/metadata/scheduledevents?api-version=${API_VERSION}")"; then
      INCARNATION="$(jq -r .DocumentIncarnation <<<"$document")"
      # Work only when the document changed, or while a step is still pending (an approval to send).
      if [ "$INCARNATION" != "$last" ] || steps_pending; then
        events="$(jq -c '.Events[]' <<<"$document")"
        while IFS= read -r event; do
          [ -n "$event" ] && handle_event "$event"
        done <<<"$events"
        finish_gone_events "$(jq -r '.Events[].EventId' <<<"$document")"
        last="$INCARNATION"
      fi
    else
      log "reading scheduled events from IMDS failed; retrying"
    fi
    polls=$((polls + 1))
    if [ "$MAX_POLLS" -gt 0 ] && [ "$polls" -ge "$MAX_POLLS" ]; then break; fi
    sleep "$POLL_SECONDS"
  done
}

main "$@"
