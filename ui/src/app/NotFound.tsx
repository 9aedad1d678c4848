import { Link } from "react-router";
import { EmptyState } from "@/components";

export function NotFound() {
  return (
    <EmptyState title="Page not found">
      <Link to="/definitions">Back to workflows</Link>
    </EmptyState>
  );
}
