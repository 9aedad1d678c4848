import { createBrowserRouter, Navigate } from "react-router";
import { SignInPage } from "@/features/auth";
import { DefinitionsPage } from "@/features/definitions";
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
          // The designer (CodeMirror, rjsf, dnd-kit) loads on first use: a smaller first page.
          { path: "/definitions/:id", lazy: async () => ({ Component: (await import("@/features/designer")).DesignerPage }) },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
    { basename: "/ui" },
  );
}
