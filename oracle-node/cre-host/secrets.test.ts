import { describe, expect, it } from "vitest";
import { nodeSecrets } from "./secrets";

describe("node secrets", () => {
  it("reads the node's config first, then VIGIL_CRE_SECRET_* environment variables", () => {
    const get = nodeSecrets(
      { API_KEY: "from-config", "vault/TOKEN": "ns-config" },
      {
        VIGIL_CRE_SECRET_API_KEY: "from-env",
        VIGIL_CRE_SECRET_OTHER: "env-only",
        VIGIL_CRE_SECRET_VAULT__X: "ns-env",
      },
    );
    expect(get("API_KEY", "main")).toBe("from-config");
    expect(get("OTHER", "main")).toBe("env-only");
    expect(get("TOKEN", "vault")).toBe("ns-config");
    expect(get("X", "vault")).toBe("ns-env");
    expect(get("MISSING", "main")).toBeUndefined();
  });
});
