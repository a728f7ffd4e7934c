import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";
import { Layout } from "./components/Layout";
import { Spinner } from "./components/ui";
import { AuthProvider, useAuth } from "./lib/auth";
import { ToastProvider } from "./lib/toast";
import { Dashboard } from "./pages/Dashboard";
import { ContainersPage } from "./pages/Containers";
import { LoginPage, ChangePasswordPage } from "./pages/Login";

// Pages beyond the first screens load on demand to keep the initial bundle small.
const ContainerDetail = lazy(() => import("./pages/ContainerDetail"));
const CreateContainer = lazy(() => import("./pages/CreateContainer"));
const Images = lazy(() => import("./pages/Images"));
const Volumes = lazy(() => import("./pages/Volumes"));
const Networks = lazy(() => import("./pages/Networks"));
const Hosts = lazy(() => import("./pages/Hosts"));
const Users = lazy(() => import("./pages/Users"));
const ApiKeys = lazy(() => import("./pages/ApiKeys"));
const Sessions = lazy(() => import("./pages/Sessions"));
const Audit = lazy(() => import("./pages/Audit"));
const Settings = lazy(() => import("./pages/Settings"));
const Nodes = lazy(() => import("./pages/Nodes"));
const NodeNew = lazy(() => import("./pages/NodeNew"));
const NodeDetail = lazy(() => import("./pages/NodeDetail"));
const NodeEdit = lazy(() => import("./pages/NodeEdit"));
const Notifications = lazy(() => import("./pages/Notifications"));
const Schedules = lazy(() => import("./pages/Schedules"));
const Webhooks = lazy(() => import("./pages/Webhooks"));

function RequireAuth({ children }: { children: ReactNode }) {
  const { me, checking, expired } = useAuth();
  const loc = useLocation();
  if (checking) return <Spinner label="Checking your session…" />;
  if (!me) return <Navigate to={`/login?${expired ? "expired=1&" : ""}next=${encodeURIComponent(loc.pathname + loc.search)}`} replace />;
  if (me.must_change_password) return <Navigate to="/change-password" replace />;
  return <>{children}</>;
}

function NotFound() {
  return (
    <div className="state state-empty">
      <strong>Page not found</strong>
      <a href="/">Go to the dashboard</a>
    </div>
  );
}

export function App() {
  return (
    <ToastProvider>
      <AuthProvider>
        <Suspense fallback={<Spinner />}>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="/change-password" element={<ChangePasswordPage />} />
            <Route element={<RequireAuth><Layout /></RequireAuth>}>
              <Route index element={<Dashboard />} />
              <Route path="containers" element={<ContainersPage />} />
              <Route path="containers/new" element={<CreateContainer />} />
              <Route path="containers/:host/:id" element={<ContainerDetail />} />
              <Route path="images" element={<Images />} />
              <Route path="volumes" element={<Volumes />} />
              <Route path="networks" element={<Networks />} />
              <Route path="hosts" element={<Hosts />} />
              <Route path="users" element={<Users />} />
              <Route path="api-keys" element={<ApiKeys />} />
              <Route path="sessions" element={<Sessions />} />
              <Route path="audit" element={<Audit />} />
              <Route path="settings" element={<Settings />} />
              <Route path="vantage6/nodes" element={<Nodes />} />
              <Route path="vantage6/nodes/new" element={<NodeNew />} />
              <Route path="vantage6/nodes/:name" element={<NodeDetail />} />
              <Route path="vantage6/nodes/:name/edit" element={<NodeEdit />} />
              <Route path="notifications" element={<Notifications />} />
              <Route path="schedules" element={<Schedules />} />
              <Route path="webhooks" element={<Webhooks />} />
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </Suspense>
      </AuthProvider>
    </ToastProvider>
  );
}
