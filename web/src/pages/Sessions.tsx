import { useState } from "react";
import { api, seg } from "../api/client";
import type { Session } from "../api/types/Session";
import { Badge, Empty, ErrorBox, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { ago, dateTime } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useToast } from "../lib/toast";

function browser(ua: string | null) {
  if (!ua) return "unknown";
  const m = ua.match(/(Firefox|Edg|Chrome|Safari|curl|HeadlessChrome)\/[\d.]+/);
  return m ? m[0] : ua.slice(0, 40);
}

export default function Sessions() {
  useTitle("Sessions");
  const { can } = useAuth();
  const toast = useToast();
  const [everyone, setEveryone] = useState(false);
  const list = useLoad((signal) => api<Session[]>(everyone ? "/sessions" : "/auth/sessions", { signal }), [everyone]);
  const revoke = async (s: Session) => {
    try {
      await api(everyone ? `/sessions/${seg(s.id)}` : `/auth/sessions/${seg(s.id)}`, { method: "DELETE" });
      toast.ok("Session ended");
      list.reload();
    } catch (e) {
      toast.error(e, "Could not end the session");
    }
  };
  return (
    <div className="page">
      <PageHeader title="Sessions" sub="Browsers signed in">
        {can("admin") && <label className="check"><input type="checkbox" checked={everyone} onChange={(e) => setEveryone(e.target.checked)} /> Everyone's</label>}
      </PageHeader>
      {list.error ? <ErrorBox error={list.error} retry={list.reload} /> : !list.data ? <Spinner /> : list.data.length === 0 ? <Empty title="No sessions" /> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr>{everyone && <th>User</th>}<th>Browser</th><th className="hide-sm">Address</th><th>Last seen</th><th className="hide-md">Started</th><th className="hide-md">Ends</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.map((s) => (
                <tr key={s.id}>
                  {everyone && <td>{s.username}</td>}
                  <td>{browser(s.user_agent)} {s.current && <Badge tone="info">this one</Badge>}</td>
                  <td className="hide-sm mono small">{s.client_ip ?? "–"}</td>
                  <td className="muted">{ago(s.last_seen_at)}</td>
                  <td className="hide-md muted">{dateTime(s.created_at)}</td>
                  <td className="hide-md muted">{dateTime(s.expires_at)}</td>
                  <td className="actions">{!s.current && <button className="btn btn-sm btn-danger" onClick={() => revoke(s)}>End</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
