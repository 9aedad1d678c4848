import { Badge } from "@/components";
import type { Operation } from "./api";

/** done / total as a bar, with the counts a person reads. */
export function Progress({ operation }: { operation: Operation }) {
  const { done, total, succeeded, failed } = operation;
  return (
    <div className="op-progress">
      <progress max={Math.max(total, 1)} value={total ? done : 1} aria-label={`${done} of ${total} runs done`} />
      <span>
        {done} of {total} done · {succeeded} ok{failed ? ` · ${failed} refused` : ""}
      </span>
      <Badge tone={operation.status === "COMPLETED" ? (failed ? "warning" : "success") : "info"}>{operation.status}</Badge>
    </div>
  );
}
