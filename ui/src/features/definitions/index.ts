export { DefinitionsPage } from "./DefinitionsPage";
