import Form from "@rjsf/core";
import type { ErrorSchema, RJSFSchema } from "@rjsf/utils";
import { useState } from "react";
import { Link } from "react-router";
import { Button, EmptyState, Modal, PageHeader, ProblemAlert, Spinner, StatusBadge, Tabs } from "@/components";
import { allows, roleReason, useMe } from "@/lib/auth";
import { formatRelative } from "@/lib/format";
import { ApiError } from "@/lib/problem";
import { schemaValidator } from "@/lib/schemaValidator";
import { type Inbox, type Task, useClaim, useComplete, useTasks } from "./api";

/** The human task inbox: open, claimed and done tasks; claim; complete through the
 * form generated from the task's form schema (server errors land on their fields). */
export function TasksPage() {
  const [inbox, setInbox] = useState<Inbox>("open");
  const tasks = useTasks(inbox);
  const claim = useClaim();
  const me = useMe();
  const [completing, setCompleting] = useState<Task | null>(null);
  const manager = allows(me.data, "workflow.manage");
  return (
    <section className="page tasks-page">
      <PageHeader title="Tasks" subtitle="Human tasks waiting for someone" />
      <Tabs
        label="Inbox"
        value={inbox}
        onChange={(id) => setInbox(id as Inbox)}
        tabs={[
          { id: "open", label: "Open" },
          { id: "claimed", label: "Claimed" },
          { id: "done", label: "Done" },
        ]}
      />
      <ProblemAlert error={tasks.error} title="Could not list tasks" />
      <ProblemAlert error={claim.error} title="Could not claim the task" onDismiss={() => claim.reset()} />
      {!manager ? <p className="muted">{roleReason(me.data, "workflow.manage", "Claiming and completing tasks")}</p> : null}
      {tasks.isPending ? <Spinner label="Loading tasks" /> : null}
      {tasks.data?.length === 0 ? <EmptyState title={`No ${inbox} tasks`} /> : null}
      {tasks.data?.length ? (
        <table className="table" aria-label="Tasks">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Status</th>
              <th scope="col">Claimed by</th>
              <th scope="col">Created</th>
              <th scope="col">Run</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {tasks.data.map((task) => (
              <tr key={task.taskId}>
                <td>
                  <strong>{task.title}</strong>
                  <div className="muted">{task.description ?? task.taskType}</div>
                </td>
                <td>
                  <StatusBadge status={task.status} />
                </td>
                <td>{task.claimedBy ?? "—"}</td>
                <td>{formatRelative(task.createdAt)}</td>
                <td>
                  <Link to={`/runs/${task.runId}`} aria-label={`Run of task ${task.title}`}>
                    {task.runId.slice(0, 8)}
                  </Link>
                </td>
                <td>
                  {manager && task.status === "OPEN" ? (
                    <Button size="sm" onClick={() => claim.mutate(task.taskId)} aria-label={`Claim ${task.title}`}>
                      Claim
                    </Button>
                  ) : null}
                  {manager && (task.status === "OPEN" || task.status === "CLAIMED") ? (
                    <Button size="sm" variant="primary" onClick={() => setCompleting(task)} aria-label={`Complete ${task.title}`}>
                      Complete
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {completing ? <CompleteDialog task={completing} onClose={() => setCompleting(null)} /> : null}
    </section>
  );
}

/** A problem's pointers as rjsf errors on the fields they name. */
function fieldErrors(error: unknown): ErrorSchema | undefined {
  if (!(error instanceof ApiError) || error.errors.length === 0) return undefined;
  const root: Record<string, unknown> = {};
  for (const item of error.errors) {
    const parts = item.pointer.split("/").filter(Boolean);
    let node = root;
    for (const part of parts) node = (node[part] ??= {}) as Record<string, unknown>;
    ((node.__errors ??= []) as string[]).push(item.message);
  }
  return root as ErrorSchema;
}

function CompleteDialog({ task, onClose }: { task: Task; onClose: () => void }) {
  const complete = useComplete();
  const [data, setData] = useState<unknown>(task.output ?? {});
  return (
    <Modal title={`Complete: ${task.title}`} open wide onClose={onClose}>
      {task.description ? <p>{task.description}</p> : null}
      <ProblemAlert error={complete.error} title="The server refused the output" />
      <Form
        schema={task.formSchema as RJSFSchema}
        validator={schemaValidator}
        formData={data}
        noHtml5Validate
        noValidate // the server judges (one source of truth): its 422 pointers land on the fields
        showErrorList={false}
        extraErrors={fieldErrors(complete.error)}
        onChange={(e) => setData(e.formData)}
        onSubmit={(e) => complete.mutate({ taskId: task.taskId, output: e.formData }, { onSuccess: onClose })}
      >
        <div className="modal-footer">
          <Button onClick={onClose}>Back</Button>
          <Button type="submit" variant="primary" disabled={complete.isPending}>
            Submit
          </Button>
        </div>
      </Form>
    </Modal>
  );
}
