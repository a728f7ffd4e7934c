import { useEffect, useState } from "react";
import type { Health } from "../api/types/Health";
import { PageHeader } from "../components/ui";
import { useAuth } from "../lib/auth";
import { useTitle } from "../lib/hooks";
import { setThemeChoice, themeChoice, type ThemeChoice } from "../lib/theme";
import { useToast } from "../lib/toast";
import { PasswordForm } from "./Login";

export default function Settings() {
  useTitle("Settings");
  const { me } = useAuth();
  const toast = useToast();
  const [theme, setTheme] = useState<ThemeChoice>(themeChoice());
  const [health, setHealth] = useState<Health | null>(null);
  const [formKey, setFormKey] = useState(0);
  useEffect(() => {
    fetch("/health").then((r) => r.json()).then(setHealth).catch(() => undefined);
  }, []);
  return (
    <div className="page">
      <PageHeader title="Settings" />
      <div className="settings-grid">
        <section className="card stack">
          <h2>Appearance</h2>
          <fieldset className="segmented" aria-label="Theme">
            {(["system", "light", "dark"] as const).map((t) => (
              <label key={t} className={theme === t ? "active" : ""}>
                <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => { setTheme(t); setThemeChoice(t); }} />
                {t === "system" ? "Follow the system" : t === "light" ? "Light" : "Dark"}
              </label>
            ))}
          </fieldset>
        </section>
        <section className="card stack">
          <h2>Account</h2>
          <p className="muted">Signed in as <b>{me?.user.username}</b> ({me?.user.role}). Changing the password signs out your other sessions.</p>
          <PasswordForm key={formKey} onDone={() => { toast.ok("Password changed"); setFormKey((k) => k + 1); }} />
        </section>
        <section className="card stack">
          <h2>About</h2>
          <dl className="kv">
            <dt>Version</dt><dd>{health?.version ?? "–"}</dd>
            <dt>Server time</dt><dd>{health?.time ? new Date(health.time).toLocaleString() : "–"}</dd>
            <dt>API</dt><dd><a href="/api/docs">API reference</a></dd>
          </dl>
          <p className="muted small">Press <kbd>?</kbd> anywhere for keyboard shortcuts.</p>
        </section>
      </div>
    </div>
  );
}
