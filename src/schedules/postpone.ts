/**
 * The notice before a scheduled stop, and its postpone links. With `notifyBeforeMinutes`, the evaluator sends a notice
 * naming the VMs about to be stopped; it carries three links that postpone the stop by 1, 2 or 4 hours (an override
 * "running until stop + n h" on each VM named). The links are signed (src/trust/signedLink.ts), expire an hour after
 * the stop, and only one of them works, once: the notice's id is recorded the first time one is used. A tampered,
 * expired or used link is refused with 403 and changes nothing.
 */
import { signLink, verifyLink } from "../trust/signedLink";
import type { ApiAnswer } from "./scheduleApi";
import type { ScheduleStateStore } from "./scheduleStateStore";

export const POSTPONE_PURPOSE = "schedule-postpone";
export const POSTPONE_HOURS = [1, 2, 4] as const;
const LINK_GRACE_MS = 3_600_000;

export interface StopNotice {
  /** The notice's id: schedule and stop instant. */
  id: string;
  schedule: string;
  stopAt: Date;
  stopAtLocal: string;
  vms: { key: string; id: string }[];
  postpone: { hours: number; url: string }[];
  text: string;
}

/** The notice for one coming stop, with its three links (same id, so one postpone per notice). */
export function stopNotice(key: string, baseUrl: string, schedule: string, stopAt: Date, stopAtLocal: string, vms: { key: string; id: string }[]): StopNotice {
  const id = `${schedule}|${stopAt.toISOString()}`;
  const expires = new Date(stopAt.getTime() + LINK_GRACE_MS);
  const postpone = POSTPONE_HOURS.map((hours) => {
    const { token } = signLink(key, POSTPONE_PURPOSE, { schedule, stopAt: stopAt.toISOString(), hours, vms: vms.map((v) => v.key) }, expires, id);
    return { hours, url: `${baseUrl.replace(/\/+$/, "")}/api/postpone?token=${token}` };
  });
  const text = `Schedule ${schedule} stops ${vms.length} VM${vms.length === 1 ? "" : "s"} at ${stopAtLocal}: ${vms.slice(0, 20).map((v) => v.id.split("/").pop()).join(", ")}${vms.length > 20 ? ", ..." : ""}. Postpone by ${postpone.map((p) => `${p.hours} h: ${p.url}`).join(" | ")}`;
  return { id, schedule, stopAt, stopAtLocal, vms, postpone, text };
}

const forbidden = (detail: string): ApiAnswer => ({ kind: "problem", status: 403, title: "This postpone link cannot be used", detail });

/** What a link would do, without doing it (the confirmation page), or why it cannot. */
export function inspectPostpone(key: string, token: string, now: Date): { ok: true; schedule: string; stopAt: Date; hours: number; vms: string[]; id: string } | { ok: false; answer: ApiAnswer } {
  const check = verifyLink(key, POSTPONE_PURPOSE, token, now);
  if (!check.ok) {
    const why = check.reason === "expired" ? "it has expired" : "it is not a valid postpone link (it was changed, or made for something else)";
    return { ok: false, answer: forbidden(`The link cannot be used: ${why}. Nothing was changed.`) };
  }
  const d = check.claims.data as { schedule?: unknown; stopAt?: unknown; hours?: unknown; vms?: unknown };
  const hours = Number(d.hours);
  const stopAt = new Date(String(d.stopAt));
  if (!(POSTPONE_HOURS as readonly number[]).includes(hours) || Number.isNaN(stopAt.getTime()) || !Array.isArray(d.vms)) return { ok: false, answer: forbidden("The link's contents are not a postpone. Nothing was changed.") };
  return { ok: true, schedule: String(d.schedule), stopAt, hours, vms: (d.vms as unknown[]).map(String), id: check.claims.id };
}

/** Uses a link: once per notice, each VM held running until the stop plus the link's hours. */
export async function applyPostpone(states: ScheduleStateStore, key: string, token: string, now: Date): Promise<ApiAnswer> {
  const link = inspectPostpone(key, token, now);
  if (!link.ok) return link.answer;
  if (!(await states.once("link", link.id, now))) return forbidden("A postpone link of this notice was used already; each notice postpones once. Nothing was changed.");
  const until = new Date(link.stopAt.getTime() + link.hours * 3_600_000);
  for (const vm of link.vms) await states.putOverride(vm, { state: "running", until, source: `postpone link (${link.hours} h) of schedule ${link.schedule}` });
  return { kind: "ok", status: 200, body: { schedule: link.schedule, postponedBy: `${link.hours} h`, runningUntil: until.toISOString(), vms: link.vms.length } };
}
