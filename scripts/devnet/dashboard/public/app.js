// The devnet dashboard: folds the devnet's event log (history from /api/events, then live over SSE
// from /api/stream) into tables, an uptime heatmap and chart.js charts. No build step.
/* global Chart */

const state = {
  chains: {},
  stages: new Map(),
  nodes: new Map(),
  devices: new Map(),
  uptime: new Map(), // epoch -> Map(deviceId -> uptimeBps)
  epochs: new Map(),
  slashes: [],
  bridges: new Map(),
  rewards: new Map(), // deviceId -> bigint claimed
  earned: new Map(), // deviceId -> bigint in agreed lines
  log: [],
  verdicts: new Map(), // epoch -> latest `verdicts` event (one node's provisional verdicts so far)
  lastSeq: -1,
};

const short = (hex, n = 6) =>
  hex && hex.length > 2 * n + 2 ? `${hex.slice(0, n + 2)}…${hex.slice(-n)}` : (hex ?? "");
const TOKEN = 10n ** 18n;
const fmtToken = (wei) => {
  const v = BigInt(wei ?? 0);
  const whole = v / TOKEN;
  const frac = ((v % TOKEN) * 1000n) / TOKEN;
  return `${whole}.${String(frac).padStart(3, "0")}`;
};
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function apply(e) {
  if (e.seq <= state.lastSeq) return;
  state.lastSeq = e.seq;
  switch (e.type) {
    case "stage":
      state.stages.set(e.stage, e);
      break;
    case "chain":
      state.chains[e.name] = e;
      break;
    case "node":
      state.nodes.set(e.index, { ...(state.nodes.get(e.index) ?? {}), ...e });
      break;
    case "device":
      state.devices.set(e.deviceId, { ...e, status: "registered", slashReason: undefined });
      break;
    case "uptime": {
      if (!state.uptime.has(e.epoch)) state.uptime.set(e.epoch, new Map());
      state.uptime.get(e.epoch).set(e.deviceId, e.uptimeBps);
      state.earned.set(e.deviceId, (state.earned.get(e.deviceId) ?? 0n) + BigInt(e.reward ?? 0));
      const d = state.devices.get(e.deviceId);
      if (d && d.status === "registered" && e.uptimeBps > 0) d.status = "verified";
      break;
    }
    case "epoch":
      state.epochs.set(e.epoch, e);
      break;
    case "slash": {
      state.slashes.push(e);
      const d = state.devices.get(e.deviceId);
      if (d) Object.assign(d, { status: "slashed", slashReason: e.reason, slashEpoch: e.epoch });
      break;
    }
    case "reward": {
      state.rewards.set(e.deviceId, (state.rewards.get(e.deviceId) ?? 0n) + BigInt(e.amount));
      const d = state.devices.get(e.deviceId);
      if (d && d.status !== "slashed") d.status = "rewarded";
      break;
    }
    case "bridge":
      state.bridges.set(`${e.epoch}:${e.deviceId}`, e);
      break;
    case "verdicts":
      state.verdicts.set(e.epoch, e);
      break;
    case "governance":
      // The devnet's governance proposal, step by step, in the log panel (the pipeline shows its stage).
      state.log.push(
        `${new Date(e.time).toLocaleTimeString()} governance ${e.step} ${short(e.proposalId)} (${e.state}, block ${e.block}): ${e.detail}`,
      );
      if (state.log.length > 300) state.log.shift();
      break;
    case "log":
      state.log.push(`${new Date(e.time).toLocaleTimeString()} ${e.level} ${e.message}`);
      if (state.log.length > 300) state.log.shift();
      break;
  }
}

let charts;
function setupCharts() {
  if (typeof Chart === "undefined") return;
  Chart.defaults.color = "#9aa7b4";
  Chart.defaults.borderColor = "#26303b";
  charts = {
    epochs: new Chart(document.getElementById("chart-epochs"), {
      type: "bar",
      data: {
        labels: [],
        datasets: [
          { label: "rewarded", data: [], backgroundColor: "#2ea043", stack: "d" },
          { label: "slashed", data: [], backgroundColor: "#e5534b", stack: "d" },
          { label: "rejected", data: [], backgroundColor: "#d29922", stack: "d" },
          { label: "total reward (VGL)", data: [], type: "line", borderColor: "#58a6ff", yAxisID: "y1" },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: "epoch" } },
          y: { stacked: true, title: { display: true, text: "devices" } },
          y1: { position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "VGL" } },
        },
      },
    }),
    slashes: new Chart(document.getElementById("chart-slashes"), {
      type: "doughnut",
      data: {
        labels: [],
        datasets: [
          { data: [], backgroundColor: ["#e5534b", "#d29922", "#a371f7", "#f778ba", "#db6d28", "#8b949e"] },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { title: { display: true, text: "slashes by reason" } },
      },
    }),
  };
}

function render() {
  const epochs = [...state.epochs.values()].sort((a, b) => a.epoch - b.epoch);
  const settled = epochs.filter((e) => e.settlementTx);
  const nodes = [...state.nodes.values()].sort((a, b) => a.index - b.index);
  const devices = [...state.devices.values()];
  const last = epochs.at(-1);
  const bridges = [...state.bridges.values()];

  document.getElementById("chains").textContent = Object.values(state.chains)
    .map((c) => `${c.name}: chain ${c.chainId} @ ${c.rpcUrl}`)
    .join("   ");
  const verdictEpochs = [...state.verdicts.values()].sort((a, b) => b.epoch - a.epoch);
  const running = verdictEpochs[0];
  document.getElementById("c-provisional-epoch").textContent = running ? running.epoch : "–";
  document.getElementById("c-provisional").textContent = running ? running.total : 0;
  document.querySelector("#provisional tbody").innerHTML = verdictEpochs
    .slice(0, 6)
    .map((v) => {
      const final = state.epochs.get(v.epoch);
      const status = final?.settlementTx ? "settled" : final?.resultRoot ? "agreed" : "provisional";
      const outcomes = Object.entries(v.outcomes)
        .map(([k, n]) => `${esc(k)} ${n}`)
        .join(", ");
      const newest = v.latest
        .slice(0, 3)
        .map((l) => `${esc(l.kind)} ${esc(l.outcome)} <span class="mono">${esc(short(l.deviceId, 4))}</span>`)
        .join("; ");
      return `<tr class="${status}" data-epoch="${v.epoch}"><td>${v.epoch}</td><td>${v.node}</td><td>${v.total}</td><td>${outcomes}</td><td>${newest}</td><td class="${status === "provisional" ? "muted" : "ok"}">${status}</td></tr>`;
    })
    .join("");
  document.getElementById("c-epochs").textContent = settled.length;
  document.getElementById("c-agreed").textContent = epochs.filter((e) => e.resultRoot).length;
  document.getElementById("c-nodes").textContent =
    `${nodes.filter((n) => n.status === "up").length}/${nodes.length}`;
  document.getElementById("c-devices").textContent = devices.length;
  document.getElementById("c-rewarded").textContent = last ? last.rewarded : 0;
  document.getElementById("c-slashed").textContent = new Set(state.slashes.map((s) => s.deviceId)).size;
  document.getElementById("c-bridged").textContent =
    `${fmtToken(bridges.filter((b) => b.status === "delivered").reduce((a, b) => a + BigInt(b.amount), 0n))} VGL`;

  document.querySelector("#nodes tbody").innerHTML = nodes
    .map(
      (
        n,
      ) => `<tr data-node="${n.index}"><td>${n.index}</td><td class="${n.status === "up" ? "ok" : "bad"}">${esc(n.status)}</td>
      <td class="mono">${esc(short(n.signer))}</td><td class="mono" title="${esc(n.peerId)}">${esc(short(n.peerId, 5))}</td>
      <td title="${esc((n.peers ?? []).join("\n"))}">${(n.peers ?? []).length}</td>
      <td>${n.api ? `<a href="${esc(n.api)}" target="_blank">${esc(n.api)}</a>` : ""}</td></tr>`,
    )
    .join("");

  document.getElementById("stages").innerHTML = [...state.stages.values()]
    .map((s) => {
      const cls =
        s.status === "ready" ? "ok" : s.status === "failed" ? "bad" : s.status === "skipped" ? "warn" : "";
      return `<li><b class="${cls}">${esc(s.status)}</b> ${esc(s.stage)} <span class="muted">${esc(s.detail ?? "")}</span></li>`;
    })
    .join("");

  document.querySelector("#epochs tbody").innerHTML = epochs
    .slice()
    .reverse()
    .map((e) => {
      const slashed = Object.entries(e.slashed ?? {})
        .map(([r, n]) => `${n} ${r}`)
        .join(", ");
      return `<tr data-epoch="${e.epoch}" class="${e.settlementTx ? "settled" : ""}"><td>${e.epoch}</td><td>${e.verified}</td><td class="ok">${e.rewarded}</td>
      <td class="bad">${esc(slashed || "0")}</td><td>${e.rejected}</td>
      <td class="economics-emission">${e.economics ? fmtToken(e.economics.emission) : ""}</td><td>${fmtToken(e.totalReward)}</td>
      <td>${e.economics ? fmtToken(e.economics.carried) : ""}</td><td class="economics-fee">${e.economics ? fmtToken(e.economics.fee) : ""}</td>
      <td class="economics-burned">${e.economics ? fmtToken(e.economics.burned) : ""}</td><td>${e.economics ? fmtToken(e.economics.toOperators) : ""}</td>
      <td>${e.economics ? fmtToken(e.economics.toTreasury) : ""}</td>
      <td class="uptime-bonus">${e.uptimeSla ? `${fmtToken(e.uptimeSla.bonusPaid)} (${e.uptimeSla.bonused})` : ""}</td>
      <td class="uptime-penalty">${e.uptimeSla ? `${fmtToken(e.uptimeSla.withheld)} (${e.uptimeSla.penalized})` : ""}</td><td>${fmtToken(e.bridged)}</td>
      <td>${e.votes ?? ""}</td><td>${e.signatures ?? ""}</td><td class="mono">${esc(short(e.resultRoot))}</td>
      <td class="mono ${e.settlementTx ? "ok" : "warn"}">${e.settlementTx ? esc(short(e.settlementTx)) : e.resultRoot ? "agreed, not settled" : "not settled"}</td></tr>`;
    })
    .join("");

  const scored = epochs.filter((e) => e.scoreboard).at(-1);
  if (scored) {
    document.getElementById("score-epoch").textContent =
      `epoch ${scored.epoch}: reward share against fair share, per strategy`;
    const pct = (x) => `${(100 * x).toFixed(2)}%`;
    document.querySelector("#scoreboard tbody").innerHTML = scored.scoreboard
      .map(
        (r) => `<tr data-strategy="${esc(r.strategy)}"><td>${esc(r.strategy)}</td><td>${r.devices}</td>
      <td class="${r.slashed ? "bad" : ""}">${r.slashed}</td><td>${r.rewarded}</td><td>${pct(r.rewardShare)}</td>
      <td>${pct(r.fairShare)}</td><td>${(r.uptimeBps / 100).toFixed(0)}%</td>
      <td class="${r.failures.length ? "bad" : "ok"}">${r.failures.length ? esc(r.failures.join("; ")) : "ok"}</td></tr>`,
      )
      .join("");
  }

  document.querySelector("#slashes tbody").innerHTML = state.slashes
    .slice(-200)
    .reverse()
    .map(
      (s) =>
        `<tr><td>${s.epoch}</td><td class="mono">${esc(short(s.deviceId))}</td>` +
        `<td>${esc(state.devices.get(s.deviceId)?.strategy ?? "")}</td><td class="bad">${esc(s.reason)}</td>` +
        `<td>${fmtToken(s.amount)}</td><td class="${s.onChain ? "bad" : "warn"}">${s.onChain ? "applied on chain" : "agreed"}</td>` +
        `<td><a class="mono" href="/api/evidence/${esc(s.evidenceHash)}" target="_blank" title="fetch the evidence bundle and re-run the verifier">${esc(short(s.evidenceHash))} ↻ verify</a></td></tr>`,
    )
    .join("");

  document.querySelector("#bridges tbody").innerHTML = bridges
    .slice(-200)
    .reverse()
    .map(
      (
        b,
      ) => `<tr><td>${b.epoch}</td><td class="mono">${esc(short(b.deviceId))}</td><td>${fmtToken(b.amount)}</td>
      <td class="${b.status === "delivered" ? "ok" : b.status === "failed" ? "bad" : "warn"}">${esc(b.status)}</td>
      <td class="mono">${esc(short(b.sourceTx))}</td><td class="mono">${esc(short(b.destTx))}</td></tr>`,
    )
    .join("");

  // Heatmap: one row per epoch (latest 24), one column per device.
  const heat = document.getElementById("heatmap");
  const shownEpochs = [...state.uptime.keys()].sort((a, b) => a - b).slice(-24);
  heat.style.gridTemplateColumns = `repeat(${Math.max(devices.length, 1)}, minmax(2px, 1fr))`;
  heat.innerHTML = shownEpochs
    .map((ep) => {
      const row = state.uptime.get(ep);
      return devices
        .map((d) => {
          const bps = row.get(d.deviceId);
          const slashedNow = d.status === "slashed" && d.slashEpoch <= ep;
          const cls = slashedNow ? "slashed" : bps === undefined ? "none" : "";
          const bg = cls
            ? ""
            : ` style="background:hsl(${Math.round((bps / 10000) * 130)},55%,${20 + Math.round((bps / 10000) * 20)}%)"`;
          return `<i class="${cls}"${bg} title="epoch ${ep} · ${short(d.deviceId)} · ${bps === undefined ? "no data" : `${bps / 100}%`}"></i>`;
        })
        .join("");
    })
    .join("");

  document.querySelector("#devices tbody").innerHTML = devices
    .slice(0, 300)
    .map(
      (
        d,
      ) => `<tr data-device="${esc(d.deviceId)}"><td class="mono">${esc(short(d.deviceId))}</td><td class="${d.honest ? "" : "warn"}">${esc(d.strategy)}</td>
      <td class="${d.status === "slashed" ? "bad" : d.status === "rewarded" ? "ok" : ""}">${esc(d.status)}${d.slashReason ? ` (${esc(d.slashReason)})` : ""}</td>
      <td>${fmtToken(state.earned.get(d.deviceId) ?? 0n)} / ${fmtToken(state.rewards.get(d.deviceId) ?? 0n)}</td><td class="mono">${esc(short(d.owner))}</td></tr>`,
    )
    .join("");

  document.getElementById("log").textContent = state.log.slice(-100).join("\n");

  if (charts) {
    charts.epochs.data.labels = epochs.map((e) => e.epoch);
    charts.epochs.data.datasets[0].data = epochs.map((e) => e.rewarded);
    charts.epochs.data.datasets[1].data = epochs.map((e) =>
      Object.values(e.slashed ?? {}).reduce((a, b) => a + b, 0),
    );
    charts.epochs.data.datasets[2].data = epochs.map((e) => e.rejected);
    charts.epochs.data.datasets[3].data = epochs.map(
      (e) => Number(BigInt(e.totalReward) / 10n ** 15n) / 1000,
    );
    charts.epochs.update();
    const reasons = {};
    for (const s of state.slashes) reasons[s.reason] = (reasons[s.reason] ?? 0) + 1;
    charts.slashes.data.labels = Object.keys(reasons);
    charts.slashes.data.datasets[0].data = Object.values(reasons);
    charts.slashes.update();
  }
  document.body.dataset.seq = String(state.lastSeq);
}

let scheduled = false;
function scheduleRender() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render();
  });
}

async function main() {
  setupCharts();
  const history = await (await fetch("/api/events")).json();
  for (const e of history) apply(e);
  render();
  const live = document.getElementById("live");
  const source = new EventSource(`/api/stream?since=${state.lastSeq + 1}`);
  source.onopen = () => {
    live.textContent = "live";
    live.className = "pill on";
  };
  source.onerror = () => {
    live.textContent = "reconnecting…";
    live.className = "pill off";
  };
  source.onmessage = (msg) => {
    apply(JSON.parse(msg.data));
    scheduleRender();
  };
}

main();
