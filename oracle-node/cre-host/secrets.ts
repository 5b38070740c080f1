import type { SecretsProvider } from "./execution";

/**
 * Secrets from the node's config (`{ "<id>": value }` for namespace "main", or
 * `{ "<namespace>/<id>": value }`) with the environment as fallback: `VIGIL_CRE_SECRET_<ID>`
 * (namespace "main") or `VIGIL_CRE_SECRET_<NAMESPACE>__<ID>`, upper-cased.
 */
export function nodeSecrets(
  fromConfig: Record<string, string> = {},
  env: Record<string, string | undefined> = process.env,
): SecretsProvider {
  return (id, namespace) => {
    const key = namespace === "main" ? id : `${namespace}/${id}`;
    if (fromConfig[key] !== undefined) return fromConfig[key];
    const envName = namespace === "main" ? `VIGIL_CRE_SECRET_${id}` : `VIGIL_CRE_SECRET_${namespace}__${id}`;
    return env[envName.toUpperCase().replace(/[^A-Z0-9_]/g, "_")];
  };
}
