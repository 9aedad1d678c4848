export { BulkOperationPage } from "./BulkOperationPage";
export { OperationsPage } from "./OperationsPage";
