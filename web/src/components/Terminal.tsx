// A shell in the container over the exec WebSocket (xterm.js, loaded only on this tab).
// Binary frames carry terminal bytes both ways; text frames carry resize and exit messages.
import { FitAddon } from "@xterm/addon-fit";
import { Terminal as XTerm } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "react";
import { wsUrl } from "../api/client";
import type { ExecClientMessage } from "../api/types/ExecClientMessage";
import { containerPath } from "../lib/containers";
import { effectiveTheme } from "../lib/theme";

export default function Terminal({ host, id }: { host: string; id: string }) {
  const el = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState("connecting…");
  const [session, setSession] = useState(0);
  const [shell, setShell] = useState("");

  useEffect(() => {
    if (!el.current) return;
    const dark = effectiveTheme() === "dark";
    const term = new XTerm({
      cursorBlink: true,
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      fontSize: 13,
      theme: dark
        ? { background: "#0b1220", foreground: "#e2e8f0", cursor: "#93c5fd" }
        : { background: "#0f172a", foreground: "#e2e8f0", cursor: "#93c5fd" },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el.current);
    fit.fit();
    const query: Record<string, string | number | string[]> = { cols: term.cols, rows: term.rows };
    if (shell.trim()) query.cmd = shell.trim().split(/\s+/);
    const ws = new WebSocket(wsUrl(`${containerPath(host, id)}/exec`, query));
    ws.binaryType = "arraybuffer";
    const enc = new TextEncoder();
    const send = (m: ExecClientMessage) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
    ws.onopen = () => {
      setStatus("connected");
      term.focus();
      send({ type: "resize", cols: term.cols, rows: term.rows });
    };
    ws.onmessage = (m) => {
      if (m.data instanceof ArrayBuffer) {
        term.write(new Uint8Array(m.data));
        return;
      }
      try {
        const msg = JSON.parse(String(m.data)) as { type?: string; code?: number | null; message?: string };
        if (msg.type === "exit") setStatus(`exited with code ${msg.code ?? "?"}`);
        else if (msg.type === "error") {
          setStatus(`error: ${msg.message ?? ""}`);
          term.write(`\r\n\x1b[31m${msg.message ?? "error"}\x1b[0m\r\n`);
        }
      } catch {
        term.write(String(m.data));
      }
    };
    ws.onclose = () => setStatus((s) => (s === "connected" || s.startsWith("connecting") ? "disconnected" : s));
    const onData = term.onData((d) => ws.readyState === WebSocket.OPEN && ws.send(enc.encode(d)));
    const onResize = term.onResize(({ cols, rows }) => send({ type: "resize", cols, rows }));
    const ro = new ResizeObserver(() => {
      try {
        fit.fit();
      } catch {
        // not laid out yet
      }
    });
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      onData.dispose();
      onResize.dispose();
      ws.close();
      term.dispose();
    };
  }, [host, id, session, shell]);

  const ended = status !== "connected" && !status.startsWith("connecting");
  return (
    <div className="terminal-wrap">
      <div className="toolbar">
        <span className="muted small">
          <span className={`live-dot live-${status === "connected" ? "open" : "closed"}`} aria-hidden="true" /> {status}
        </span>
        <div className="grow" />
        <form className="row" onSubmit={(e) => {
          e.preventDefault();
          const v = new FormData(e.currentTarget).get("shell");
          setShell(typeof v === "string" ? v : "");
          setSession((s) => s + 1);
        }}>
          <input name="shell" aria-label="Command" placeholder="command (default: shell)" defaultValue={shell} />
          <button className={`btn${ended ? " btn-primary" : ""}`}>{ended ? "Reconnect" : "Restart session"}</button>
        </form>
      </div>
      <div ref={el} className="terminal" data-testid="terminal" />
    </div>
  );
}
