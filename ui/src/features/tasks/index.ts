export { TasksPage } from "./TasksPage";
