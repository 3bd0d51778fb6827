/** The web dashboard: `startDashboardServer` serves it; `up` and `silent-scalper dashboard` start it. */
export { type ActionResult, buildDashboardActions, type DashboardActions } from './actions.ts';
export type { DashboardResources } from './resources.ts';
export {
  type DashboardServerOptions,
  DEFAULT_DASHBOARD_PORT,
  type RunningDashboard,
  startDashboardServer,
} from './server.ts';
export type { FileRow, Snapshot } from './types.ts';
