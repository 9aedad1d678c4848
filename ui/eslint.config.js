// Lint: TypeScript's recommended rules, React hooks, and the layout's one-way imports
// (bulletproof-react): shared code (components/, lib/, api/) never imports features or
// app/; a feature never imports another feature; only app/ wires features together.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const FEATURE = /(?:^|\/)src\/features\/([^/]+)\//;

/** The feature folder a path lies in, or null. */
function featureOf(path) {
  const m = FEATURE.exec(path.replaceAll("\\", "/"));
  return m ? m[1] : null;
}

const layout = {
  rules: {
    "restricted-paths": {
      meta: { type: "problem", docs: { description: "one-way imports between app, features and shared code" }, schema: [] },
      create(context) {
        const file = context.filename.replaceAll("\\", "/");
        const here = featureOf(file);
        const shared = /\/src\/(components|lib|api)\//.test(file);
        return {
          ImportDeclaration(node) {
            const source = node.source.value;
            let target = null;
            if (source.startsWith("@/")) target = "/src/" + source.slice(2) + "/";
            else if (source.startsWith(".")) target = new URL(source, "file://" + file).pathname + "/";
            if (!target) return;
            const other = featureOf(target);
            if (target.includes("/src/app/") && !file.includes("/src/app/") && !file.endsWith("/src/main.tsx")) {
              context.report({ node, message: `only app/ and main.tsx import from app/ (${source})` });
            } else if (other && shared) {
              context.report({ node, message: `shared code must not import a feature (${source})` });
            } else if (other && here && other !== here) {
              context.report({ node, message: `feature "${here}" must not import feature "${other}"; move shared code to components/ or lib/` });
            }
          },
        };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ["dist", "node_modules", "src/api/schema.d.ts"] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ["src/**/*.{ts,tsx}"],
    languageOptions: { ecmaVersion: 2022, globals: globals.browser },
    plugins: { "react-hooks": reactHooks, layout },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "react-hooks/refs": "off",
      "react-hooks/set-state-in-effect": "off",
      "layout/restricted-paths": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
