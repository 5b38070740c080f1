import { access, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { CreHostError } from "./errors";

/** One target of a CRE `workflow.yaml`, paths as written (relative to the workflow folder). */
export interface WorkflowTarget {
  name?: string;
  workflowPath?: string;
  configPath?: string;
  secretsPath?: string;
}

type YamlNode = unknown;

const invalid = (file: string, line: number, message: string) =>
  new CreHostError("INVALID_CONFIG", `${file}:${line}: ${message}`, { file, line });

/** A CRE project file (`workflow.yaml`, `secrets.yaml`): a YAML map, or an error naming file and line. */
export function parseProjectYaml(text: string, file: string): { [key: string]: YamlNode } {
  const doc = parseDocument(text, { prettyErrors: false });
  const error = doc.errors[0];
  if (error) throw invalid(file, error.linePos?.[0]?.line ?? 1, error.message);
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw invalid(file, 1, "expected a map at the top level");
  return value as { [key: string]: YamlNode };
}

const str = (n: YamlNode | undefined): string | undefined =>
  typeof n === "string" && n !== "" ? n : undefined;
const map = (n: YamlNode | undefined): { [key: string]: YamlNode } =>
  n && typeof n === "object" && !Array.isArray(n) ? (n as { [key: string]: YamlNode }) : {};

/** The targets of a CRE `workflow.yaml` by name. */
export function readWorkflowTargets(text: string, file = "workflow.yaml"): Map<string, WorkflowTarget> {
  const targets = new Map<string, WorkflowTarget>();
  for (const [name, node] of Object.entries(parseProjectYaml(text, file))) {
    const user = map(map(node)["user-workflow"]);
    const artifacts = map(map(node)["workflow-artifacts"]);
    targets.set(name, {
      name: str(user["workflow-name"]),
      workflowPath: str(artifacts["workflow-path"]),
      configPath: str(artifacts["config-path"]),
      secretsPath: str(artifacts["secrets-path"]),
    });
  }
  return targets;
}

/** Reads one target of a CRE `workflow.yaml` (`{}` when the file has no such target). */
export function readWorkflowYaml(text: string, target: string): WorkflowTarget {
  const t = readWorkflowTargets(text).get(target) ?? {};
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));
}

/**
 * The CRE CLI's `secrets.yaml`: `secretsNames:` maps each secret id the workflow asks for to the
 * environment variable(s) holding its value (the first one set wins).
 */
export function readSecretsYaml(text: string, file = "secrets.yaml"): Map<string, string[]> {
  const doc = parseProjectYaml(text, file);
  const names = doc.secretsNames;
  if (names === undefined) throw invalid(file, 1, "expected a `secretsNames:` map");
  const out = new Map<string, string[]>();
  for (const [id, vars] of Object.entries(map(names))) {
    const list = Array.isArray(vars) ? vars.filter((v): v is string => typeof v === "string") : str(vars);
    if (!list || list.length === 0) {
      throw new CreHostError("INVALID_CONFIG", `${file}: secret ${id} names no environment variable`);
    }
    out.set(id, typeof list === "string" ? [list] : list);
  }
  return out;
}

/**
 * A `.env` file: `KEY=VALUE` lines (optionally `export KEY=VALUE`), values optionally in single or
 * double quotes, `#` comments and blank lines. Any other line is an error naming the file and line.
 */
export function parseDotEnv(text: string, file = ".env"): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw invalid(file, i + 1, "expected KEY=VALUE");
    let value = m[2]!;
    const q = value[0];
    if (q === '"' || q === "'") {
      const end = value.indexOf(q, 1);
      if (end < 0) throw invalid(file, i + 1, `unterminated ${q} quote`);
      const rest = value.slice(end + 1).trim();
      if (rest !== "" && !rest.startsWith("#")) throw invalid(file, i + 1, "text after the closing quote");
      value = value.slice(1, end);
      if (q === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"');
    } else value = value.replace(/\s+#.*$/, "").trim();
    out[m[1]!] = value;
  });
  return out;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * The `.env` of the project a workflow folder is in: the first `.env` in the folder or above it,
 * stopping at the project root (`projectRoot` when given, else the folder holding `project.yaml`
 * or `.git`); undefined if none.
 */
export async function findDotEnv(workflowDir: string, projectRoot?: string): Promise<string | undefined> {
  let dir = resolve(workflowDir);
  const root = projectRoot === undefined ? undefined : resolve(projectRoot);
  for (;;) {
    if (await exists(join(dir, ".env"))) return join(dir, ".env");
    if (
      root !== undefined
        ? dir === root
        : (await exists(join(dir, "project.yaml"))) || (await exists(join(dir, ".git")))
    )
      return undefined;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Reads and parses a `.env` file. */
export async function readDotEnv(file: string): Promise<Record<string, string>> {
  return parseDotEnv(await readFile(file, "utf8"), file);
}
