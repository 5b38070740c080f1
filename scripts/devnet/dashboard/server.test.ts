import { describe, expect, it } from "vitest";
import { EventLog } from "../events";
import { createDashboardApp, startDashboard } from "./server";

describe("dashboard server", () => {
  it("serves the page, chart.js from node_modules and the event log", async () => {
    const log = new EventLog();
    log.emit({ type: "chain", name: "home", chainId: 31337, rpcUrl: "http://127.0.0.1:1" });
    log.emit({ type: "log", level: "info", message: "second" });
    const app = createDashboardApp({ log });
    expect((await app.request("/")).headers.get("content-type")).toContain("text/html");
    const chart = await app.request("/vendor/chart.umd.min.js");
    expect(chart.status).toBe(200);
    expect((await chart.text()).length).toBeGreaterThan(100_000);
    expect(((await (await app.request("/api/events")).json()) as unknown[]).length).toBe(2);
    expect(((await (await app.request("/api/events?since=1")).json()) as { seq: number }[])[0]!.seq).toBe(1);
    // A bad cursor is read as "from the start", never an error page.
    expect(((await (await app.request("/api/events?since=x")).json()) as unknown[]).length).toBe(2);
  });

  it("refuses a malformed evidence hash and says when no lookup exists", async () => {
    const app = createDashboardApp({ log: new EventLog() });
    expect((await app.request("/api/evidence/0x12")).status).toBe(400);
    const missing = await app.request(`/api/evidence/0x${"ab".repeat(32)}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/not available/);
  });

  it("streams history then live events over SSE, resuming after Last-Event-ID", async () => {
    const log = new EventLog();
    log.emit({ type: "log", level: "info", message: "old" });
    log.emit({ type: "log", level: "info", message: "seen" });
    const dashboard = await startDashboard({ log }, 0);
    try {
      const res = await fetch(new URL("/api/stream", dashboard.url), { headers: { "last-event-id": "1" } });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      setTimeout(() => log.emit({ type: "log", level: "warn", message: "live" }), 100);
      while (!text.includes("live")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      await reader.cancel();
      expect(text).not.toContain('"old"');
      expect(text).toContain('"seen"');
      expect(text).toContain("id: 3");
    } finally {
      await dashboard.close();
    }
  });
});
