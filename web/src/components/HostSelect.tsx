import { useSearchParams } from "react-router";
import { useHosts } from "../lib/hosts";

/** The host a per-host page shows, kept in `?host=`; the first online host by default. */
export function useHostParam(): [string, (h: string) => void] {
  const { hosts } = useHosts();
  const [params, setParams] = useSearchParams();
  const chosen = params.get("host") ?? "";
  const fallback = hosts?.find((h) => h.state.status === "online")?.name ?? hosts?.[0]?.name ?? "";
  const host = chosen || fallback;
  const set = (h: string) => setParams((p) => {
    const n = new URLSearchParams(p);
    n.set("host", h);
    return n;
  }, { replace: true });
  return [host, set];
}

export function HostSelect({ host, onChange }: { host: string; onChange: (h: string) => void }) {
  const { hosts } = useHosts();
  return (
    <label className="host-select">
      <span className="muted small">Host</span>
      <select value={host} onChange={(e) => onChange(e.target.value)} aria-label="Host">
        {(hosts ?? []).map((h) => <option key={h.name} value={h.name}>{h.name}{h.state.status !== "online" ? ` (${h.state.status})` : ""}</option>)}
      </select>
    </label>
  );
}
