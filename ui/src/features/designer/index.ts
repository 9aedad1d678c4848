export { DesignerPage } from "./DesignerPage";
