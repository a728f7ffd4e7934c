import { useState, type FormEvent } from "react";
import { api, seg } from "../api/client";
import type { Role } from "../api/types/Role";
import type { User } from "../api/types/User";
import { Badge, ConfirmDelete, Empty, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { ago } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useHosts } from "../lib/hosts";
import { useToast } from "../lib/toast";

const ROLES: Role[] = ["admin", "operator", "deployer", "viewer", "user"];

function HostsPicker({ value, onChange }: { value: string[] | null; onChange: (v: string[] | null) => void }) {
  const { hosts } = useHosts();
  return (
    <fieldset className="rows">
      <legend>Hosts</legend>
      <label className="check"><input type="checkbox" checked={value === null} onChange={(e) => onChange(e.target.checked ? null : [])} /> All hosts</label>
      {value !== null && (hosts ?? []).map((h) => (
        <label key={h.name} className="check">
          <input type="checkbox" checked={value.includes(h.name)} onChange={(e) => onChange(e.target.checked ? [...value, h.name] : value.filter((x) => x !== h.name))} /> {h.name}
        </label>
      ))}
    </fieldset>
  );
}

function UserForm({ user, onDone }: { user: User | null; onDone: () => void }) {
  const toast = useToast();
  const [username, setUsername] = useState(user?.username ?? "");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>(user?.role ?? "viewer");
  const [hosts, setHosts] = useState<string[] | null>(user?.hosts ?? null);
  const [mustChange, setMustChange] = useState(true);
  const [disabled, setDisabled] = useState(user?.disabled ?? false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      if (user) {
        await api(`/users/${seg(user.username)}`, { method: "PATCH", body: {
          role, hosts: hosts ?? null, all_hosts: hosts === null, disabled, password: password || null,
        } });
        toast.ok(`Saved ${user.username}`);
      } else {
        await api("/users", { method: "POST", body: { username, password, role, hosts, must_change_password: mustChange } });
        toast.ok(`Created ${username}`);
      }
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="stack" onSubmit={submit}>
      {!user && <Field label="User name" name="username" error={error}>{(id) => <input id={id} required value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />}</Field>}
      <Field label={user ? "New password (leave empty to keep)" : "Password"} name="password" error={error} hint="At least 12 characters">
        {(id) => <input id={id} type="password" required={!user} value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />}
      </Field>
      <Field label="Role" name="role" error={error}>
        {(id) => <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>{ROLES.map((r) => <option key={r}>{r}</option>)}</select>}
      </Field>
      <HostsPicker value={hosts} onChange={setHosts} />
      {!user && <label className="check"><input type="checkbox" checked={mustChange} onChange={(e) => setMustChange(e.target.checked)} /> Must choose a new password at first sign-in</label>}
      {user && <label className="check"><input type="checkbox" checked={disabled} onChange={(e) => setDisabled(e.target.checked)} /> Disabled (cannot sign in; keys stop working)</label>}
      <FormError error={error} fields={["username", "password", "role"]} />
      <div className="row end"><button className="btn btn-primary">{user ? "Save" : "Create user"}</button></div>
    </form>
  );
}

export default function Users() {
  useTitle("Users");
  const { me } = useAuth();
  const list = useLoad((signal) => api<User[]>("/users", { signal }), []);
  const [editing, setEditing] = useState<User | "new" | null>(null);
  const [removing, setRemoving] = useState<User | null>(null);
  return (
    <div className="page">
      <PageHeader title="Users" sub="People who may sign in, and what they may do">
        <button className="btn btn-primary" onClick={() => setEditing("new")}>New user</button>
      </PageHeader>
      {list.error ? <ErrorBox error={list.error} retry={list.reload} /> : !list.data ? <Spinner /> : list.data.length === 0 ? <Empty title="No users" /> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>User</th><th>Role</th><th className="hide-sm">Hosts</th><th className="hide-sm">Last sign-in</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.map((u) => (
                <tr key={u.id}>
                  <td><b>{u.username}</b> {u.username === me?.user.username && <Badge tone="info">you</Badge>} {u.disabled && <Badge tone="bad">disabled</Badge>} {u.must_change_password && <Badge tone="warn">must change password</Badge>}</td>
                  <td><Badge>{u.role}</Badge></td>
                  <td className="hide-sm small">{u.hosts === null ? "all" : u.hosts.join(", ") || "none"}</td>
                  <td className="hide-sm muted">{ago(u.last_login_at)}</td>
                  <td className="actions">
                    <button className="btn btn-sm" onClick={() => setEditing(u)}>Edit</button>
                    {u.username !== me?.user.username && <button className="btn btn-sm btn-danger" onClick={() => setRemoving(u)}>Delete</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Modal title={editing === "new" ? "New user" : `Edit ${editing?.username ?? ""}`} open={editing !== null} onClose={() => setEditing(null)}>
        {editing !== null && <UserForm user={editing === "new" ? null : editing} onDone={() => { setEditing(null); list.reload(); }} />}
      </Modal>
      <ConfirmDelete item={removing} done="User deleted" title={(it) => `Delete ${it.username}?`}
        path={(it) => `/users/${seg(it.username)}`}
        body="Their sessions and API keys end. The audit log keeps their name."
        onClose={() => setRemoving(null)} onDone={list.reload} />
    </div>
  );
}
