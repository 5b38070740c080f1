import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import ts from "typescript";
import { CreHostError } from "./errors";

export interface WorkflowBundle {
  /** Self-contained script (IIFE) that runs one execution when evaluated. */
  code: string;
  /** The bundle's bytes: what the workflow id hashes in place of a WASM binary. */
  binary: Uint8Array;
  /** The entry file bundled. */
  entry: string;
  /**
   * Whether the bundle only defines `globalThis.__creRun` (the workflow exports `main`), so one
   * evaluation can serve many executions. A workflow that calls `main()` itself runs on evaluation
   * and is evaluated afresh for every execution.
   */
  reusable: boolean;
}

/** Whether the source calls `main()` itself at top level (then the bundle must not call it again). */
function callsMainItself(source: string, file: string): boolean {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, false);
  const isMainCall = (e: ts.Expression): boolean => {
    if (ts.isAwaitExpression(e)) return isMainCall(e.expression);
    if (!ts.isCallExpression(e)) return false;
    if (ts.isIdentifier(e.expression)) return e.expression.text === "main";
    // main().catch(...), main().then(...).catch(...)
    return ts.isPropertyAccessExpression(e.expression) && isMainCall(e.expression.expression);
  };
  return sf.statements.some((s) => ts.isExpressionStatement(s) && isMainCall(s.expression));
}

/**
 * The SDK itself imports `node:buffer` and `node:url` (its `prepareRuntime` puts Buffer, atob, btoa,
 * URL and URLSearchParams on globalThis); `cre-compile` ships polyfills for those two. Here they
 * map to the worker's own globals. Any other Node built-in is an error, as it is for CRE.
 */
const nodeBuiltins: Plugin = {
  name: "cre-node-builtins",
  setup(b) {
    b.onResolve(
      { filter: /^node:|^(fs|path|crypto|http|https|net|child_process|os|worker_threads)$/ },
      (args) => ({
        path: args.path,
        namespace: "cre-node",
      }),
    );
    b.onLoad({ filter: /.*/, namespace: "cre-node" }, (args) => {
      if (args.path === "node:buffer")
        return { contents: "export const { Buffer, atob, btoa } = globalThis;" };
      if (args.path === "node:url")
        return { contents: "export const { URL, URLSearchParams } = globalThis;" };
      return {
        errors: [
          { text: `CRE workflows cannot use Node built-ins ("${args.path}"): use the SDK's capabilities` },
        ],
      };
    });
  },
};

/**
 * Bundles a CRE TypeScript workflow (its `main.ts`) with esbuild into one script the host's worker
 * evaluates per execution. Like `cre-compile`, a workflow that only exports `main` gets
 * `main().catch(sendErrorResponse)` appended. The target is the browser platform, so a workflow that
 * imports a Node built-in fails here, as it would fail to compile to WASM.
 */
export async function bundleWorkflow(entry: string): Promise<WorkflowBundle> {
  const file = resolve(entry);
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (cause) {
    throw new CreHostError("BUNDLE_FAILED", `cannot read workflow entry ${file}`, { entry: file }, { cause });
  }
  const reusable = !callsMainItself(source, file);
  const contents = reusable
    ? `import { main } from ${JSON.stringify(`./${basename(file)}`)};
import { sendErrorResponse } from "@chainlink/cre-sdk";
globalThis.__creRun = () => main().catch(sendErrorResponse);`
    : `import ${JSON.stringify(`./${basename(file)}`)};`;
  try {
    const result = await build({
      stdin: { contents, resolveDir: dirname(file), sourcefile: "cre-entry.ts", loader: "ts" },
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "silent",
      legalComments: "none",
      plugins: [nodeBuiltins],
    });
    const code = result.outputFiles[0]!.text;
    return { code, binary: new TextEncoder().encode(code), entry: file, reusable };
  } catch (cause) {
    const errors = (
      cause as { errors?: { text: string; location?: { file: string; line: number } | null }[] }
    ).errors;
    const detail = errors?.length
      ? errors
          .map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`)
          .join("\n")
      : String(cause);
    throw new CreHostError(
      "BUNDLE_FAILED",
      `cannot bundle workflow ${file}:\n${detail}`,
      { entry: file },
      { cause },
    );
  }
}
