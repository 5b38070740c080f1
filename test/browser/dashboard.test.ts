import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevnetHandle, startDevnet } from "../../scripts/devnet/devnet";

// Debian's chromium (`apt-get install chromium`, done by .ci/run): playwright-core drives it, no
// browser download. Only where it truly is absent does this suite skip, and it says so.
const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`browser test skipped: ${CHROMIUM} not found (install it: apt-get install -y chromium)`);
}
const OUTPUT = join(process.cwd(), "test-output");

describe.skipIf(!haveChromium)("devnet dashboard in headless Chromium", () => {
  let devnet: DevnetHandle;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    devnet = await startDevnet({
      epochs: 2,
      devices: 24,
      nodes: 4,
      // 10 s: the settlement timeout (2 epochs) must outlast the first agreement while the fleet starts.
      epochSeconds: 10,
      port: 0,
      dataDir: join(OUTPUT, `browser-devnet-${process.pid}`),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await devnet?.stop();
  });

  it("shows the running devnet live and matches its event log", async () => {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(devnet.dashboardUrl);
    await expect.poll(() => page.textContent("[data-testid=live]"), { timeout: 10_000 }).toBe("live");
    // Every node reported in (its status and peers come from its own API).
    await expect
      .poll(() => new Set(devnet.log.all().flatMap((e) => (e.type === "node" ? [e.index] : []))).size, {
        timeout: 30_000,
      })
      .toBe(4);
    // Provisional verdicts arrive while an epoch runs: the page counts them for an epoch the devnet
    // has not settled (nor even agreed) yet.
    await expect
      .poll(async () => Number(await page.textContent("[data-testid=provisional-count]")), {
        timeout: 120_000,
        interval: 250,
      })
      .toBeGreaterThan(0);
    const liveEpoch = Number(await page.textContent("[data-testid=provisional-epoch]"));
    const finalOf = (epoch: number) => devnet.log.all().find((e) => e.type === "epoch" && e.epoch === epoch);
    expect(finalOf(liveEpoch)).toBeUndefined();
    // The first epoch result the nodes agree on (settled on chain too once CRE settlement is wired).
    await expect
      .poll(() => devnet.log.all().filter((e) => e.type === "epoch").length, {
        timeout: 150_000,
        interval: 500,
      })
      .toBeGreaterThan(0);
    // For every epoch with a result, its provisional verdicts were logged before the result.
    for (const result of devnet.log.all().filter((e) => e.type === "epoch")) {
      const firstVerdicts = devnet.log.all().find((e) => e.type === "verdicts" && e.epoch === result.epoch);
      if (firstVerdicts) expect(firstVerdicts.seq).toBeLessThan(result.seq);
    }
    expect(devnet.log.all().some((e) => e.type === "verdicts" && e.epoch === liveEpoch)).toBe(true);

    // Wait until the page has folded in every event the devnet has logged so far.
    const lastSeq = devnet.log.all().length - 1;
    await expect
      .poll(async () => Number(await page.getAttribute("body", "data-seq")), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(lastSeq);

    const events = devnet.log.all();
    const nodes = new Set(events.flatMap((e) => (e.type === "node" ? [e.index] : [])));
    const devices = new Set(events.flatMap((e) => (e.type === "device" ? [e.deviceId] : [])));
    const settled = events.filter((e) => e.type === "epoch" && e.settlementTx);
    const agreed = events.filter((e) => e.type === "epoch" && e.resultRoot);
    const stages = new Set(events.flatMap((e) => (e.type === "stage" ? [e.stage] : [])));

    expect(nodes.size).toBe(4);
    expect(devices.size).toBe(24);
    expect(await page.locator("[data-testid=nodes] tbody tr").count()).toBe(nodes.size);
    expect(await page.locator("[data-testid=devices] tbody tr").count()).toBe(Math.min(devices.size, 300));
    expect(await page.locator("[data-testid=epochs] tbody tr.settled").count()).toBe(settled.length);
    expect(await page.textContent("[data-testid=epochs-settled]")).toBe(String(settled.length));
    expect(agreed.length).toBeGreaterThan(0);
    expect(await page.textContent("[data-testid=epochs-agreed]")).toBe(String(agreed.length));
    expect(await page.locator("[data-testid=epochs] tbody tr").count()).toBe(
      events.filter((e) => e.type === "epoch").length,
    );
    // Each settled epoch's books: emission, fee and burn, as the settlement logged them.
    for (const e of settled) {
      if (e.type !== "epoch") continue;
      expect(e.economics).toBeDefined();
      const row = page.locator(`[data-testid=epochs] tbody tr[data-epoch="${e.epoch}"]`);
      const tokens = (wei: string) => (Number(BigInt(wei) / 10n ** 15n) / 1000).toFixed(3);
      expect(await row.locator(".economics-emission").textContent()).toBe(tokens(e.economics!.emission));
      expect(await row.locator(".economics-fee").textContent()).toBe(tokens(e.economics!.fee));
      expect(await row.locator(".economics-burned").textContent()).toBe(tokens(e.economics!.burned));
      // The uptime SLA's bonus and penalty, as the devnet's reward check reckoned them.
      expect(e.uptimeSla).toBeDefined();
      expect(await row.locator(".uptime-bonus").textContent()).toBe(
        `${tokens(e.uptimeSla!.bonusPaid)} (${e.uptimeSla!.bonused})`,
      );
      expect(await row.locator(".uptime-penalty").textContent()).toBe(
        `${tokens(e.uptimeSla!.withheld)} (${e.uptimeSla!.penalized})`,
      );
    }
    // The uptime heatmap has a cell per device for each epoch with lines.
    const uptimeEpochs = new Set(events.flatMap((e) => (e.type === "uptime" ? [e.epoch] : [])));
    expect(await page.locator("[data-testid=heatmap] i").count()).toBe(uptimeEpochs.size * devices.size);
    expect(await page.locator("[data-testid=stages] li").count()).toBe(stages.size);
    expect(await page.locator(`[data-testid=provisional] tbody tr[data-epoch="${liveEpoch}"]`).count()).toBe(
      1,
    );
    expect(await page.textContent("#chains")).toContain(devnet.chains.home.rpcUrl);
    // chart.js loaded from node_modules (no CDN) and drew its canvases.
    expect(await page.evaluate(() => typeof (globalThis as { Chart?: unknown }).Chart)).toBe("function");
    expect(errors).toEqual([]);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "dashboard.png"), fullPage: true });
  }, 240_000);

  it("streams new events to an open page", async () => {
    const sent = devnet.log.emit({ type: "log", level: "warn", message: "browser test: live update" });
    // The devnet keeps logging, so wait for this event's sequence number, not for "one more".
    await expect
      .poll(async () => Number(await page.getAttribute("body", "data-seq")), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(sent.seq);
    expect(await page.textContent("#log")).toContain("browser test: live update");
  });
});
