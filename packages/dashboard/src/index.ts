/** @poolstream/dashboard: a live page for a running pipeline (uPlot charts over server-sent events, served by Bun). */
export {
  DashboardFeed,
  type DashboardSnapshot,
  type FedPipeline,
  type LaneView,
  type NodeView,
} from "./dashboard-feed.ts";
export { type DashboardOptions, type DashboardServer, serveDashboard } from "./serve-dashboard.ts";
