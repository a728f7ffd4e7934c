// A cron expression in words, for the schedule form (the API answers the next runs once saved).
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const DAY_NAMES: Record<string, number> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };
const MONTHS = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const MONTH_NAMES: Record<string, number> = { JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, OCT: 10, NOV: 11, DEC: 12 };

function part(f: string, names: Record<string, number>, words: string[] | null): string {
  return f.split(",").map((p) => {
    const [range, step] = p.split("/");
    const name = (v: string) => {
      const n = names[v.toUpperCase()] ?? Number(v);
      return words ? (words[n] ?? v) : String(n);
    };
    const r = range === "*" ? "" : range.includes("-") ? range.split("-").map(name).join(" to ") : name(range);
    return step ? `every ${step}${r ? ` from ${r}` : ""}` : r;
  }).join(", ");
}

const pad = (s: string) => s.padStart(2, "0");

/** "At 03:30 on Monday to Friday", or null when the expression does not look like cron. */
export function describeCron(expr: string): string | null {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5 && f.length !== 6) return null;
  const [sec, min, hour, dom, mon, dow] = f.length === 6 ? f : ["0", ...f];
  const simple = (s: string) => /^\d+$/.test(s);
  let when: string;
  if (simple(min) && simple(hour)) when = `At ${pad(hour)}:${pad(min)}${sec !== "0" ? `:${pad(sec)}` : ""}`;
  else if (min === "*" && hour === "*") when = sec === "0" || sec === "*" ? (sec === "*" ? "Every second" : "Every minute") : `At second ${sec} of every minute`;
  else if (min.startsWith("*/") && hour === "*") when = `Every ${min.slice(2)} minutes`;
  else if (simple(min) && hour === "*") when = `At minute ${min} of every hour`;
  else if (simple(min) && hour.startsWith("*/")) when = `At minute ${min} of every ${hour.slice(2)} hours`;
  else when = `At minute ${part(min, {}, null) || "every"} past hour ${part(hour, {}, null) || "every"}`;
  const bits = [when];
  if (dom !== "*" && dom !== "?") bits.push(`on day ${part(dom, {}, null)} of the month`);
  if (mon !== "*") bits.push(`in ${part(mon, MONTH_NAMES, MONTHS)}`);
  if (dow !== "*" && dow !== "?") bits.push(`on ${part(dow, DAY_NAMES, DAYS)}`);
  return bits.join(" ");
}
