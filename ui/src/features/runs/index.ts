export { RunDetailPage } from "./RunDetailPage";
export { RunsPage } from "./RunsPage";
