import { CreHostError } from "./errors";
import type { CreHost, ExecutionOutcome } from "./host";

interface Field {
  min: number;
  max: number;
}
const FIELDS: Field[] = [
  { min: 0, max: 59 }, // second
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  { min: 1, max: 12 }, // month
  { min: 0, max: 6 }, // day of week (0 = Sunday; 7 also means Sunday)
];

function parseField(text: string, f: Field, what: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new CreHostError("INVALID_CONFIG", `cron ${what} field "${text}" is not valid`);
    const step = m[4] ? Number(m[4]) : 1;
    const lo = m[1] === "*" ? f.min : Number(m[2]);
    const hi = m[1] === "*" ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] ? f.max : lo;
    const max = what === "day-of-week" ? 7 : f.max;
    if (step < 1 || lo < f.min || hi > max || lo > hi) {
      throw new CreHostError("INVALID_CONFIG", `cron ${what} field "${text}" is out of range`);
    }
    for (let v = lo; v <= hi; v += step) out.add(what === "day-of-week" && v === 7 ? 0 : v);
  }
  return out;
}

/**
 * Parses a CRE cron schedule (5 fields, or 6 with seconds first; UTC; `*`, lists, ranges and
 * steps) and returns a function giving the first tick strictly after a time.
 */
export function parseCron(schedule: string): (after: Date) => Date {
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new CreHostError("INVALID_CONFIG", `cron schedule "${schedule}" needs 5 or 6 fields`);
  }
  const six = parts.length === 6 ? parts : ["0", ...parts];
  const names = ["second", "minute", "hour", "day-of-month", "month", "day-of-week"];
  const [sec, min, hour, dom, mon, dow] = six.map((p, i) =>
    parseField(p, FIELDS[i]!, names[i]!),
  ) as Set<number>[];
  const domAny = six[3] === "*";
  const dowAny = six[5] === "*";
  const dayMatches = (d: Date) => {
    const a = dom!.has(d.getUTCDate());
    const b = dow!.has(d.getUTCDay());
    // Standard cron: when both day fields are restricted, either may match.
    return domAny && dowAny ? true : domAny ? b : dowAny ? a : a || b;
  };
  return (after: Date) => {
    const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
    const limit = after.getTime() + 5 * 366 * 86_400_000;
    while (t.getTime() <= limit) {
      if (!mon!.has(t.getUTCMonth() + 1) || !dayMatches(t)) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!hour!.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
        continue;
      }
      if (!min!.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        continue;
      }
      if (!sec!.has(t.getUTCSeconds())) {
        t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
        continue;
      }
      return t;
    }
    throw new CreHostError("INVALID_CONFIG", `cron schedule "${schedule}" never fires`);
  };
}

/**
 * Fires the host's cron triggers on their schedules until stopped. Every node of the DON runs the
 * same schedule, so they fire the same tick (the tick's time is the execution's event id).
 */
export function startCronTriggers(
  host: CreHost,
  onOutcome: (outcome: ExecutionOutcome) => void = () => {},
): { stop(): void } {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  for (const sub of host.subscriptions) {
    if (!sub.capabilityId.startsWith("cron-trigger@")) continue;
    const schedule = (sub.config as { schedule?: string } | undefined)?.schedule;
    if (!schedule) continue;
    const next = parseCron(schedule);
    const arm = (after: Date) => {
      if (stopped) return;
      const at = next(after);
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          arm(at);
          void host.fireCron(at, sub.index).then(onOutcome);
        },
        Math.max(0, at.getTime() - Date.now()),
      );
      timers.add(timer);
    };
    arm(new Date());
  }
  return {
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
