// vantage6 nodes: who may read and change them, their API paths, and their state's badge.
import { seg } from "../api/client";
import type { NodeRunState } from "../api/types/NodeRunState";
import type { NodeScope } from "../api/types/NodeScope";
import type { Role } from "../api/types/Role";

/** Roles that may read nodes (tenants may not). */
export const NODE_READERS: Role[] = ["admin", "operator", "deployer", "viewer"];
/** Roles that may create, start, stop and remove nodes. */
export const NODE_WRITERS: Role[] = ["admin", "operator"];

export const nodePath = (name: string) => `/vantage6/nodes/${seg(name)}`;
export const nodeLink = (name: string, scope: NodeScope) => `/vantage6/nodes/${encodeURIComponent(name)}${scope === "system" ? "?scope=system" : ""}`;
/** The edit form of a node's configuration. */
export const nodeEditLink = (name: string, scope: NodeScope) => `/vantage6/nodes/${encodeURIComponent(name)}/edit${scope === "system" ? "?scope=system" : ""}`;

export const NODE_TONE: Record<NodeRunState, string> = { running: "ok", stopped: "muted", no_container: "info", unknown: "warn" };
export const NODE_STATE_TEXT: Record<NodeRunState, string> = { running: "running", stopped: "stopped", no_container: "no container", unknown: "unknown" };

export type NodeAction = "start" | "stop" | "restart";
