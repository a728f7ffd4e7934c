// The signed-in frame: sidebar (a drawer at phone width), top bar, keyboard shortcuts and
// their help overlay.
import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useAuth } from "../lib/auth";
import { useEventFeed } from "../lib/events";
import { effectiveTheme, setThemeChoice } from "../lib/theme";
import { NAV } from "../nav";
import { Modal } from "./ui";

function isTyping(t: EventTarget | null) {
  const el = t as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)
    || !!el.closest?.(".xterm"));
}

export function Layout() {
  const { me, logout } = useAuth();
  const [menuOpen, setMenuOpen] = useState(false);
  const [help, setHelp] = useState(false);
  const [theme, setTheme] = useState(effectiveTheme());
  const feed = useEventFeed();
  const navigate = useNavigate();
  const location = useLocation();
  const pendingG = useRef(0);
  const role = me?.user.role;

  useEffect(() => setMenuOpen(false), [location.pathname]);
  useEffect(() => {
    const f = () => setTheme(effectiveTheme());
    window.addEventListener("berth-theme", f);
    return () => window.removeEventListener("berth-theme", f);
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (e.key === "/") {
        const search = document.querySelector<HTMLInputElement>("[data-search]");
        if (search) {
          e.preventDefault();
          search.focus();
          search.select();
        }
      } else if (e.key === "?") {
        e.preventDefault();
        setHelp(true);
      } else if (e.key === "g") {
        pendingG.current = Date.now();
      } else if (Date.now() - pendingG.current < 1200) {
        pendingG.current = 0;
        const item = NAV.flatMap((s) => s.items).find((i) => i.key === e.key && (!i.roles || (role && i.roles.includes(role))));
        if (item) {
          e.preventDefault();
          navigate(item.to);
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate, role]);

  return (
    <div className={`shell${menuOpen ? " menu-open" : ""}`}>
      <a className="skip-link" href="#main">Skip to content</a>
      <aside className="sidebar" aria-label="Main navigation">
        <div className="brand">
          <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true"><rect width="32" height="32" rx="7" fill="var(--accent)" /><path d="M7 20h18l-3 5H10zM10 9h5v9h-5zM16 12h6v6h-6z" fill="#fff" /></svg>
          <span>Berth</span>
        </div>
        <nav>
          {NAV.map((section, i) => {
            const items = section.items.filter((it) => !it.roles || (role && it.roles.includes(role)));
            if (items.length === 0) return null;
            return (
              <div className="nav-section" key={section.title || i}>
                {section.title && <div className="nav-title">{section.title}</div>}
                {items.map((it) => (
                  <NavLink key={it.to} to={it.to} end={it.to === "/"} className="nav-link">
                    {it.icon}
                    <span>{it.label}</span>
                  </NavLink>
                ))}
              </div>
            );
          })}
        </nav>
        <div className="sidebar-foot muted small">
          <span className={`live-dot live-${feed.state}`} aria-hidden="true" />
          {feed.state === "open" ? "Live events" : feed.state === "connecting" ? "Connecting…" : "Events offline"}
        </div>
      </aside>
      <div className="scrim" onClick={() => setMenuOpen(false)} aria-hidden="true" />
      <div className="main-col">
        <header className="topbar">
          <button className="icon-btn menu-btn" aria-label="Open menu" aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" stroke="currentColor" strokeWidth="2" strokeLinecap="round"><path d="M4 6h16M4 12h16M4 18h16" /></svg>
          </button>
          <div className="topbar-spacer" />
          <button className="icon-btn" title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts" onClick={() => setHelp(true)}>?</button>
          <button
            className="icon-btn"
            aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
            title="Toggle theme"
            onClick={() => setThemeChoice(theme === "dark" ? "light" : "dark")}
          >{theme === "dark" ? "☀" : "☾"}</button>
          <div className="user-chip" title={`Signed in as ${me?.user.username}`}>
            <span className="avatar" aria-hidden="true">{me?.user.username.slice(0, 1).toUpperCase()}</span>
            <span className="user-name">{me?.user.username}</span>
            <span className="badge badge-muted">{role}</span>
          </div>
          <button className="btn btn-ghost" onClick={() => void logout()}>Sign out</button>
        </header>
        <main id="main" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
      <Modal title="Keyboard shortcuts" open={help} onClose={() => setHelp(false)}>
        <table className="kbd-table">
          <tbody>
            <tr><td><kbd>/</kbd></td><td>Focus the search box</td></tr>
            <tr><td><kbd>?</kbd></td><td>Show this help</td></tr>
            <tr><td><kbd>Esc</kbd></td><td>Close a dialog</td></tr>
            {NAV.flatMap((s) => s.items).filter((i) => i.key && (!i.roles || (role && i.roles.includes(role)))).map((i) => (
              <tr key={i.to}><td><kbd>g</kbd> <kbd>{i.key}</kbd></td><td>Go to {i.label}</td></tr>
            ))}
          </tbody>
        </table>
      </Modal>
    </div>
  );
}
