// doctor and redeliver end to end through the relay: hooks deliver to a relay (`startRelay`, its
// receivers read from Sourcegraph's stand-in) that forwards to Sourcegraph. A fresh deployment is
// all well; deliveries the relay dead-lettered while Sourcegraph refused connections are sent again
// by redeliver (judged from the relay's records) and reach Sourcegraph's logs exactly once; the
// relay down is relay_unhealthy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectLoggedOnce, outage, startWorld, type World } from "./e2e-world";

let w: World;

beforeAll(async () => {
  w = await startWorld({ relay: true });
}, 60_000);
afterAll(async () => {
  await w?.close();
});

async function until(
  cond: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("doctor end to end, through the relay", () => {
  it("a fresh deployment: exit 0, the relay's checks ok, every other check ok but Bitbucket Cloud's", async () => {
    const { report } = await w.doctor();
    const notOk = report.checks.filter((c) => c.status !== "ok");
    expect(new Set(notOk.map((c) => `${c.connection} ${c.check} ${c.status} ${c.code}`))).toEqual(
      new Set([
        "bitbucketCloud/bitbucket.org probe warn no_delivery_yet",
        "bitbucketCloud/bitbucket.org history skip skipped",
      ]),
    );
    const relayChecks = report.checks.filter((c) => c.check === "relay");
    expect(relayChecks.length).toBeGreaterThanOrEqual(4);
    expect(report.ok).toBe(true);
    // Every hook delivers to the relay, not to Sourcegraph.
    for (const h of w.gh.hooks()) expect(h.url.startsWith(`${w.relay!.url}/.api/webhooks/`)).toBe(true);
  });

  it("outage: the relay dead-letters 20 events while Sourcegraph is down; redeliver makes Sourcegraph's logs hold each once, then sends nothing", async () => {
    const relay = w.relay!;
    const sent = await outage(w, async () => {
      await w.sg.refuseConnections();
      return async () => {
        // The relay gives up on each (its --max-age is short here) before Sourcegraph is back.
        await until(async () => {
          const c = await relay.store.counts();
          return c.pending === 0 && c.dead >= 40;
        }, "the relay's dead letters");
        await w.sg.acceptConnections();
      };
    });
    // GitHub saw the relay's 202: to GitHub, every delivery succeeded.
    expect(sent.every((d) => d.status === "OK" && d.statusCode === 202)).toBe(true);

    const logsBefore = w.sg.webhookLogs().length;
    const first = await w.redeliver({ since: "1h" });
    expect(first.report.actions.filter((a) => a.outcome === "redelivered")).toHaveLength(40);
    await w.gh.settled();
    await until(async () => (await relay.store.counts()).dead === 0, "the revived deliveries");
    await until(() => w.sg.webhookLogs().length >= logsBefore + 40, "Sourcegraph's logs");
    expectLoggedOnce(w, sent);

    const logged = w.sg.webhookLogs().length;
    const second = await w.redeliver({ since: "1h" });
    expect(second.report.actions.filter((a) => a.outcome === "redelivered")).toEqual([]);
    await w.gh.settled();
    await new Promise((r) => setTimeout(r, 200));
    expect(w.sg.webhookLogs()).toHaveLength(logged);
  });

  it("the relay down: relay_unhealthy, with a fix, exit 1 (last: the relay stays down)", async () => {
    await w.relay!.close();
    const { report } = await w.doctor({ probe: false });
    const failing = report.checks.filter((c) => c.status === "fail");
    expect(new Set(failing.map((c) => c.code))).toEqual(new Set(["relay_unhealthy"]));
    for (const c of failing) expect(c.fix).not.toBe("");
    expect(report.ok).toBe(false);
  });

  it("no secret, token, header or body in any output", () => {
    const printed = w.printed.join("\n");
    for (const secret of w.secrets()) expect(printed, "a known secret was printed").not.toContain(secret);
    for (const word of ["X-Hub-Signature", "X-Gitlab-Token", "sha256=", "Authorization", '"ref":']) {
      expect(printed).not.toContain(word);
    }
  });
});
