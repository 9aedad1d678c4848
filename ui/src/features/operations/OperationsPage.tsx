import { useMutation } from "@tanstack/react-query";
import { Link } from "react-router";
import { Button, EmptyState, PageHeader, ProblemAlert, Spinner } from "@/components";
import { formatDateTime } from "@/lib/format";
import { downloadExport, type Operation, useBulkOperations, useExports } from "./api";
import { Progress } from "./Progress";

/** Bulk operations and exports of the tenant, newest first, live while any runs. Both
 * start from the runs list (its selection, or every run its filters match). */
export function OperationsPage() {
  const bulk = useBulkOperations();
  const exports = useExports();
  const download = useMutation({ mutationFn: downloadExport });
  return (
    <section className="page operations-page">
      <PageHeader title="Operations" subtitle="Bulk controls and exports, started from the runs list" />
      <h2>Exports</h2>
      <ProblemAlert error={exports.error} title="Could not list exports" />
      <ProblemAlert error={download.error} title="Could not download the export" />
      {exports.isPending ? <Spinner label="Loading exports" /> : null}
      {exports.data?.length === 0 ? <EmptyState title="No exports yet" /> : null}
      {exports.data?.length ? (
        <table className="table" aria-label="Exports">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">By</th>
              <th scope="col">Filter</th>
              <th scope="col">Progress</th>
              <th scope="col">File</th>
            </tr>
          </thead>
          <tbody>
            {exports.data.map((op) => (
              <tr key={op.operationId}>
                <td>{formatDateTime(op.createdAt)}</td>
                <td>{op.createdBy}</td>
                <td>
                  <code>{JSON.stringify(op.request.filter ?? {})}</code>
                </td>
                <td>
                  <Progress operation={op} />
                </td>
                <td>
                  <Button size="sm" disabled={op.status !== "COMPLETED" || download.isPending} onClick={() => download.mutate(op)} aria-label={`Download export of ${formatDateTime(op.createdAt)}`}>
                    Download JSONL
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h2>Bulk operations</h2>
      <ProblemAlert error={bulk.error} title="Could not list bulk operations" />
      {bulk.isPending ? <Spinner label="Loading bulk operations" /> : null}
      {bulk.data?.length === 0 ? <EmptyState title="No bulk operations yet" /> : null}
      {bulk.data?.length ? <BulkTable operations={bulk.data} /> : null}
    </section>
  );
}

function BulkTable({ operations }: { operations: Operation[] }) {
  return (
    <table className="table" aria-label="Bulk operations">
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">Action</th>
          <th scope="col">By</th>
          <th scope="col">Reason</th>
          <th scope="col">Progress</th>
        </tr>
      </thead>
      <tbody>
        {operations.map((op) => (
          <tr key={op.operationId}>
            <td>
              <Link to={`/bulk-operations/${op.operationId}`}>{formatDateTime(op.createdAt)}</Link>
            </td>
            <td>{op.action}</td>
            <td>{op.createdBy}</td>
            <td className="reason">{op.reason}</td>
            <td>
              <Progress operation={op} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
