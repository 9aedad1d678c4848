import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { ExpressionEnvContext } from "./context";
import { ExpressionEditor } from "./ExpressionEditor";

function Harness({ initial }: { initial: string }) {
  const [value, setValue] = useState(initial);
  return (
    <QueryClientProvider client={new QueryClient()}>
      <ExpressionEnvContext.Provider
        value={{
          functions: [{ name: "string", callAs: ["$string()"] }],
          allowed: new Set(["string"]),
          scope: { payload: [], vars: [], meta: [], error: [], event: [] },
          sample: { payload: "{}", vars: "{}" },
          setSample: () => undefined,
          scopeSource: "client",
        }}
      >
        <ExpressionEditor label="Condition" value={value} onChange={setValue} />
        <button type="button" onClick={() => setValue('payload.x & "unterminated')}>
          break it
        </button>
      </ExpressionEnvContext.Provider>
    </QueryClientProvider>
  );
}

describe("ExpressionEditor", () => {
  it("shows no error for a valid expression", () => {
    render(<Harness initial="payload.total > 10" />);
    expect(screen.getByRole("textbox", { name: "Condition" })).toBeInTheDocument();
    expect(screen.queryByText(/S0\d\d\d/)).toBeNull();
  });

  it("shows the syntax error with its code and position as the value changes", async () => {
    render(<Harness initial="payload.total > 10" />);
    screen.getByRole("button", { name: "break it" }).click();
    const message = await screen.findByText(/String literal must be terminated/);
    expect(message.textContent).toContain("S0101");
    expect(message.textContent).toMatch(/at \d+/);
    // the editor points at its message for assistive technology
    const editor = screen.getByRole("textbox", { name: "Condition" });
    const described = document.getElementById(editor.getAttribute("aria-describedby") ?? "");
    expect(described?.textContent).toContain("S0101");
  });

  it("names a function outside the allowlist", () => {
    render(<Harness initial="$eval('1')" />);
    expect(screen.getByText(/\$eval is not in the sandbox allowlist/)).toBeInTheDocument();
  });
});
