import { createBrowserRouter, Navigate } from "react-router";
import { SignInPage } from "@/features/auth";
import { DeadLettersPage } from "@/features/dead-letters";
import { DefinitionsPage } from "@/features/definitions";
import { EventsPage } from "@/features/events";
import { TicketPage, TicketsPage } from "@/features/helpdesk";
import { HomePage } from "@/features/home";
import { BulkOperationPage, OperationsPage } from "@/features/operations";
import { RunDetailPage, RunsPage } from "@/features/runs";
import { TasksPage } from "@/features/tasks";
import { AppShell } from "./AppShell";
import { NotFound } from "./NotFound";
import { RequireAuth } from "./RequireAuth";

/** Client routes under /ui/ (the API answers index.html for any of them). */
export function createRouter() {
  return createBrowserRouter(
    [
      { path: "/signin", element: <SignInPage /> },
      {
        element: (
          <RequireAuth>
            <AppShell />
          </RequireAuth>
        ),
        children: [
          { index: true, element: <Navigate to="/definitions" replace /> },
          { path: "/definitions", element: <DefinitionsPage /> },
          { path: "/home", element: <HomePage /> },
          { path: "/runs", element: <RunsPage /> },
          { path: "/runs/:runId", element: <RunDetailPage /> },
          { path: "/operations", element: <OperationsPage /> },
          { path: "/bulk-operations/:id", element: <BulkOperationPage /> },
          { path: "/tasks", element: <TasksPage /> },
          { path: "/events", element: <EventsPage /> },
          { path: "/dead-letters", element: <DeadLettersPage /> },
          { path: "/tickets", element: <TicketsPage /> },
          { path: "/tickets/:ticketId", element: <TicketPage /> },
          // The designer (CodeMirror, rjsf, dnd-kit) loads on first use: a smaller first page.
          { path: "/definitions/:id", lazy: async () => ({ Component: (await import("@/features/designer")).DesignerPage }) },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
    { basename: "/ui" },
  );
}
