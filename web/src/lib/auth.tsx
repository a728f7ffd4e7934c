// Who is signed in. A request that finds the session ended sends the user to the login page,
// remembering where they were; a pending password change sends them to that form.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useNavigate } from "react-router";
import { api, onAuthProblem, setCsrfToken } from "../api/client";
import type { Me } from "../api/types/Me";
import type { Role } from "../api/types/Role";
import { startEvents, stopEvents } from "./events";

interface AuthApi {
  me: Me | null;
  /** Still asking the server whether a session exists. */
  checking: boolean;
  /** The last session ended on its own (not by signing out). */
  expired: boolean;
  signedIn: (me: Me) => void;
  refresh: () => Promise<void>;
  logout: () => Promise<void>;
  can: (...roles: Role[]) => boolean;
}

const Ctx = createContext<AuthApi | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  const [expired, setExpired] = useState(false);
  const navigate = useNavigate();

  const signedIn = useCallback((m: Me) => {
    setCsrfToken(m.csrf_token);
    setExpired(false);
    setMe(m);
    if (!m.must_change_password) startEvents();
  }, []);

  const refresh = useCallback(async () => {
    try {
      signedIn(await api<Me>("/auth/me", { quietAuth: true }));
    } catch {
      setMe(null);
    }
  }, [signedIn]);

  useEffect(() => {
    refresh().finally(() => setChecking(false));
  }, [refresh]);

  useEffect(() => {
    onAuthProblem((code) => {
      if (code === "PASSWORD_CHANGE_REQUIRED") {
        setMe((m) => (m ? { ...m, must_change_password: true } : m));
        navigate("/change-password");
        return;
      }
      // RequireAuth then sends the user to the login page, remembering where they were.
      stopEvents();
      setCsrfToken(null);
      setExpired(true);
      setMe(null);
    });
    return () => onAuthProblem(null);
  }, [navigate]);

  const logout = useCallback(async () => {
    try {
      await api("/auth/logout", { method: "POST", quietAuth: true });
    } catch {
      // signed out either way
    }
    stopEvents();
    setCsrfToken(null);
    setMe(null);
    navigate("/login");
  }, [navigate]);

  const value = useMemo<AuthApi>(() => ({
    me,
    checking,
    expired,
    signedIn,
    refresh,
    logout,
    can: (...roles) => !!me && roles.includes(me.user.role),
  }), [me, checking, expired, signedIn, refresh, logout]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): AuthApi {
  const v = useContext(Ctx);
  if (!v) throw new Error("useAuth outside AuthProvider");
  return v;
}
