// The navigation, in one table. Pages for schedules, webhooks, notification channels and
// vantage6 nodes slot in as a new section (or items) here once their APIs exist.
import type { ReactNode } from "react";
import type { Role } from "./api/types/Role";

export interface NavItem {
  to: string;
  label: string;
  icon: ReactNode;
  /** Roles that see it; everyone when absent. */
  roles?: Role[];
  /** `g` then this key goes there. */
  key?: string;
}

export interface NavSection {
  title: string;
  items: NavItem[];
}

const icon = (d: string) => (
  <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor"
    strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round"><path d={d} /></svg>
);

export const NAV: NavSection[] = [
  {
    title: "Overview",
    items: [{ to: "/", label: "Dashboard", key: "d", icon: icon("M3 12l9-8 9 8M5 10v10h5v-6h4v6h5V10") }],
  },
  {
    title: "Docker",
    items: [
      { to: "/containers", label: "Containers", key: "c", icon: icon("M3 7l9-4 9 4v10l-9 4-9-4zM3 7l9 4 9-4M12 11v10") },
      { to: "/images", label: "Images", key: "i", icon: icon("M4 5h16v14H4zM4 15l5-5 4 4 3-3 4 4") },
      { to: "/volumes", label: "Volumes", key: "v", roles: ["admin", "operator", "deployer", "viewer"], icon: icon("M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3v12c0 1.7-3.6 3-8 3s-8-1.3-8-3zM4 6c0 1.7 3.6 3 8 3s8-1.3 8-3") },
      { to: "/networks", label: "Networks", key: "n", roles: ["admin", "operator", "deployer", "viewer"], icon: icon("M12 3v6M5 15v-3h14v3M3 15h4v5H3zM10 15h4v5h-4zM17 15h4v5h-4zM9 3h6v6H9z") },
    ],
  },
  {
    title: "Automation",
    items: [
      { to: "/schedules", label: "Schedules", roles: ["admin", "operator", "deployer", "viewer"], icon: icon("M12 21a9 9 0 100-18 9 9 0 000 18zM12 7v5l3 2") },
      { to: "/webhooks", label: "Webhooks", roles: ["admin", "operator", "deployer", "viewer"], icon: icon("M10 14a4 4 0 105.7 0M14 10a4 4 0 10-5.7 0M12 12l4 7M12 12l-4 7M12 12V4") },
      { to: "/notifications", label: "Notifications", roles: ["admin"], icon: icon("M18 8a6 6 0 10-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 01-3.4 0") },
    ],
  },
  {
    title: "Infrastructure",
    items: [
      { to: "/hosts", label: "Hosts", key: "h", icon: icon("M3 4h18v6H3zM3 14h18v6H3zM7 7h.01M7 17h.01") },
      { to: "/vantage6/nodes", label: "vantage6 nodes", roles: ["admin", "operator", "deployer", "viewer"], icon: icon("M12 2l9 5v10l-9 5-9-5V7zM12 12l9-5M12 12v10M12 12L3 7") },
    ],
  },
  {
    title: "Access",
    items: [
      { to: "/users", label: "Users", key: "u", roles: ["admin"], icon: icon("M16 20v-2a4 4 0 00-4-4H6a4 4 0 00-4 4v2M9 10a4 4 0 100-8 4 4 0 000 8zM22 20v-2a4 4 0 00-3-3.9M16 2.1a4 4 0 010 7.8") },
      { to: "/api-keys", label: "API keys", key: "k", icon: icon("M15 7a4 4 0 11-3.9 5H3v3h3v3h3v-3h2.1A4 4 0 0115 7z") },
      { to: "/sessions", label: "Sessions", icon: icon("M3 5h18v11H3zM8 20h8M12 16v4") },
      { to: "/audit", label: "Audit log", key: "a", roles: ["admin"], icon: icon("M9 4h6M8 2h8v4H8zM6 4H4v18h16V4h-2M8 11h8M8 15h8M8 19h5") },
    ],
  },
  {
    title: "",
    items: [{ to: "/settings", label: "Settings", key: "s", icon: icon("M12 15a3 3 0 100-6 3 3 0 000 6zM19.4 15a1.7 1.7 0 00.3 1.8l.1.1a2 2 0 11-2.8 2.8l-.1-.1a1.7 1.7 0 00-1.8-.3 1.7 1.7 0 00-1 1.5V21a2 2 0 11-4 0v-.1a1.7 1.7 0 00-1.1-1.5 1.7 1.7 0 00-1.8.3l-.1.1a2 2 0 11-2.8-2.8l.1-.1a1.7 1.7 0 00.3-1.8 1.7 1.7 0 00-1.5-1H3a2 2 0 110-4h.1a1.7 1.7 0 001.5-1.1 1.7 1.7 0 00-.3-1.8l-.1-.1a2 2 0 112.8-2.8l.1.1a1.7 1.7 0 001.8.3H9a1.7 1.7 0 001-1.5V3a2 2 0 114 0v.1a1.7 1.7 0 001 1.5 1.7 1.7 0 001.8-.3l.1-.1a2 2 0 112.8 2.8l-.1.1a1.7 1.7 0 00-.3 1.8V9a1.7 1.7 0 001.5 1H21a2 2 0 110 4h-.1a1.7 1.7 0 00-1.5 1z") }],
  },
];
