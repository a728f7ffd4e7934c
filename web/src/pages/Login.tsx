import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { api } from "../api/client";
import type { Me } from "../api/types/Me";
import { Field, FormError, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { useTitle } from "../lib/hooks";

/** Only paths on this site (never `//evil.example`). */
function safeNext(next: string | null) {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card">
        <div className="brand brand-lg">
          <svg viewBox="0 0 32 32" width="34" height="34" aria-hidden="true"><rect width="32" height="32" rx="7" fill="var(--accent)" /><path d="M7 20h18l-3 5H10zM10 9h5v9h-5zM16 12h6v6h-6z" fill="#fff" /></svg>
          <span>Berth</span>
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </div>
  );
}

export function LoginPage() {
  useTitle("Sign in");
  const { me, checking, signedIn } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get("next"));

  if (checking) return <Spinner />;
  if (me && !busy) return <Navigate to={me.must_change_password ? `/change-password?next=${encodeURIComponent(next)}` : next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const m = await api<Me>("/auth/login", { method: "POST", body: { username, password }, quietAuth: true });
      signedIn(m);
      navigate(m.must_change_password ? `/change-password?next=${encodeURIComponent(next)}` : next, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Sign in">
      {params.get("expired") && !error && (
        <div className="notice" role="status">Your session has ended. Sign in again to go back where you were.</div>
      )}
      <form className="stack" onSubmit={submit}>
        <Field label="User name" name="username" error={error}>
          {(id) => <input id={id} name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />}
        </Field>
        <Field label="Password" name="password" error={error}>
          {(id) => <input id={id} name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <FormError error={error} fields={["username", "password"]} />
        <button className="btn btn-primary btn-block" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
    </AuthCard>
  );
}

/** The password form; `forced` when the server demands a change before anything else. */
export function PasswordForm({ onDone, submitLabel = "Change password" }: { onDone: () => void; submitLabel?: string }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next !== repeat) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    setBusy(true);
    setError(null);
    try {
      await api("/auth/password", { method: "POST", body: { current_password: current, new_password: next } });
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={submit}>
      <Field label="Current password" name="current_password" error={error}>
        {(id) => <input id={id} name="current_password" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />}
      </Field>
      <Field label="New password" name="new_password" error={error} hint="At least 12 characters, not your user name.">
        {(id) => <input id={id} name="new_password" type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />}
      </Field>
      <div className={`field${mismatch ? " field-invalid" : ""}`}>
        <label htmlFor="pw-repeat">Repeat the new password</label>
        <input id="pw-repeat" name="repeat_password" type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        {mismatch && <div className="field-error" role="alert">The two new passwords differ.</div>}
      </div>
      <FormError error={error} fields={["current_password", "new_password"]} />
      <button className="btn btn-primary" disabled={busy}>{busy ? "Saving…" : submitLabel}</button>
    </form>
  );
}

export function ChangePasswordPage() {
  useTitle("Choose a new password");
  const { me, checking, refresh, logout } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  if (checking) return <Spinner />;
  if (!me) return <Navigate to="/login" replace />;
  return (
    <AuthCard title="Choose a new password">
      <p className="muted">
        {me.must_change_password
          ? `Welcome, ${me.user.username}. This password was set for you; choose your own before going on.`
          : "Change your password."}
      </p>
      <PasswordForm
        submitLabel="Save and continue"
        onDone={async () => {
          await refresh();
          navigate(safeNext(params.get("next")), { replace: true });
        }}
      />
      <button className="btn btn-ghost btn-block" onClick={() => void logout()}>Sign out</button>
    </AuthCard>
  );
}
