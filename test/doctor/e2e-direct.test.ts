// doctor end to end, hooks delivering straight to Sourcegraph: a fresh deployment of the component
// (through the real dynamic-provider host; GitHub's hooks made on GitHub's stand-in) is all well
// but for Bitbucket Cloud, which has no delivery yet; then each breakage gives its code, a fix and
// exit 1. Each case puts back what it broke, so the cases share one deployment.
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerDoctor } from "../../dist/src/cli/commands/doctor";
import type { Check, Report } from "../../src/doctor";
import { expectLoggedOnce, outage, startWorld, type World } from "./e2e-world";

let w: World;

beforeAll(async () => {
  w = await startWorld();
}, 60_000);
afterAll(async () => {
  await w?.close();
});

/** The exit code the CLI gives this report. */
const exitCode = (r: Report) => (r.ok ? 0 : 1);
const failing = (r: Report): Check[] => r.checks.filter((c) => c.status === "fail");

describe("doctor end to end, direct to Sourcegraph", () => {
  it("a fresh deployment: exit 0, every check ok but Bitbucket Cloud's no_delivery_yet", async () => {
    const { report, human } = await w.doctor();
    const notOk = report.checks.filter((c) => c.status !== "ok");
    // Bitbucket Cloud has no API for a probe or for its history: nothing logged yet is a warning,
    // and its code host history is not checked.
    expect(new Set(notOk.map((c) => `${c.connection} ${c.check} ${c.status} ${c.code}`))).toEqual(
      new Set([
        "bitbucketCloud/bitbucket.org probe warn no_delivery_yet",
        "bitbucketCloud/bitbucket.org history skip skipped",
      ]),
    );
    expect(notOk.length).toBeGreaterThan(0);
    expect(exitCode(report)).toBe(0);
    const hosts = new Set(report.checks.map((c) => c.connection.split("/")[0]));
    expect([...hosts].sort()).toEqual(["bitbucketCloud", "bitbucketServer", "github", "gitlab"]);
    // Every kind of check a hook has was made and passed somewhere.
    for (const check of ["receiver", "connection", "hook", "events", "probe", "history"]) {
      expect(
        report.checks.some((c) => c.check === check && c.status === "ok"),
        check,
      ).toBe(true);
    }
    expect(human).toMatch(/all well/);
  });
});

/** `sg-webhooks doctor <args>` in-process, from the build (the command requires doctor when it runs): what it printed and the exit code it set. */
async function cli(args: string[]): Promise<{ out: string; code: number }> {
  const program = new Command().exitOverride();
  registerDoctor(program);
  const chunks: string[] = [];
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  const before = process.exitCode;
  try {
    await program.parseAsync(["node", "sg-webhooks", "doctor", ...args]);
    return { out: chunks.join(""), code: Number(process.exitCode ?? 0) };
  } finally {
    write.mockRestore();
    process.exitCode = before;
    w.printed.push(chunks.join(""));
  }
}

describe("sg-webhooks doctor, the command", () => {
  it("exits 0 on the fresh deployment and 1 on a breakage, printing the pinned JSON", async () => {
    const fresh = await cli(["--config", w.stackFile, "--json", "--wait", "3s"]);
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.out)).toMatchObject({ ok: true });
    w.sg.removeCodeHostConnection(w.bbs.url);
    try {
      const broken = await cli(["--config", w.stackFile, "--no-probe"]);
      expect(broken.code).toBe(1);
      expect(broken.out).toMatch(/FAIL\s+connection\s+.*connection_missing/);
      expect(broken.out).toMatch(/fix: /);
    } finally {
      w.sg.addCodeHostConnection({ kind: "BITBUCKETSERVER", url: w.bbs.url });
    }
  });
});

/** Runs doctor and returns its checks of one status (each with a fix), and their codes by connection. */
async function findings(status: "fail" | "warn", more: Parameters<World["doctor"]>[0] = {}) {
  const { report } = await w.doctor(more);
  const found = report.checks.filter((c) => c.status === status);
  for (const c of found) expect(c.fix, `${c.code} has a fix`).not.toBe("");
  const codes = [...new Set(found.map((c) => `${c.connection} ${c.code}`))].sort();
  return { report, found, codes };
}

const gitlabHook = (kind: "project" | "group") =>
  w.gl.hooks(kind, kind === "project" ? "grp/app" : "grp")[0]!;

describe("doctor end to end: each breakage gives its code, a fix and exit 1", () => {
  it("a GitHub hook's secret changed by hand: probe_refused_signature", async () => {
    const [org] = w.gh.hooks("acme");
    const secret = org!.secret;
    w.gh.setHook(org!.id, { secret: "changed-by-hand-0123456789" });
    try {
      const { report, found } = await findings("fail");
      expect(found.map((c) => `${c.connection} ${c.target} ${c.code}`)).toEqual([
        "github/ghe organization acme probe_refused_signature",
      ]);
      expect(found[0]!.fix).toMatch(/pulumi up/);
      expect(exitCode(report)).toBe(1);
    } finally {
      w.gh.setHook(org!.id, { secret });
    }
  });

  it("a GitLab hook disabled after failures: hook_disabled", async () => {
    const hook = gitlabHook("project");
    w.gl.disableHook(hook.id, "temporarily");
    try {
      const { report, codes } = await findings("fail");
      expect(codes).toEqual(["gitlab/gl hook_disabled"]);
      expect(exitCode(report)).toBe(1);
    } finally {
      w.gl.enableHook(hook.id);
    }
  });

  it("a hook deleted: hook_missing", async () => {
    const hook = gitlabHook("group");
    w.gl.deleteHook(hook.id);
    try {
      const { report, found } = await findings("fail");
      expect(found.map((c) => `${c.connection} ${c.target} ${c.code}`)).toEqual([
        "gitlab/gl group grp hook_missing",
      ]);
      expect(exitCode(report)).toBe(1);
    } finally {
      const events = Object.entries(hook.events)
        .filter(([, on]) => on)
        .map(([e]) => e);
      w.gl.addHook("group", "grp", { url: hook.url, token: hook.token, events });
    }
  });

  it("an event removed: hook_events_missing", async () => {
    const hook = gitlabHook("project");
    const events = Object.entries(hook.events)
      .filter(([, on]) => on)
      .map(([e]) => e);
    w.gl.setHook(hook.id, { events: events.filter((e) => e !== "pipeline_events") });
    try {
      const { report, codes } = await findings("fail");
      expect(codes).toEqual(["gitlab/gl hook_events_missing"]);
      expect(exitCode(report)).toBe(1);
    } finally {
      w.gl.setHook(hook.id, { events });
    }
  });

  it("its code host connection deleted in Sourcegraph: connection_missing", async () => {
    w.sg.removeCodeHostConnection(w.gl.url);
    try {
      const { report, codes } = await findings("fail");
      expect(codes).toEqual(["gitlab/gl connection_missing"]);
      expect(exitCode(report)).toBe(1);
    } finally {
      w.sg.addCodeHostConnection({ kind: "GITLAB", url: w.gl.url });
    }
  });

  it("Sourcegraph unreachable: sourcegraph_unreachable", async () => {
    await w.sg.refuseConnections();
    try {
      const { report, codes } = await findings("fail", { probe: false });
      expect(codes).toEqual([
        "bitbucketCloud/bitbucket.org sourcegraph_unreachable",
        "bitbucketServer/bbs sourcegraph_unreachable",
        "github/ghe sourcegraph_unreachable",
        "gitlab/gl sourcegraph_unreachable",
      ]);
      expect(exitCode(report)).toBe(1);
    } finally {
      await w.sg.acceptConnections();
    }
  });

  it("a code host unreachable: code_host_unreachable", async () => {
    await w.gl.refuseConnections();
    try {
      const { report, codes } = await findings("fail");
      expect(codes).toEqual(["gitlab/gl code_host_unreachable"]);
      expect(exitCode(report)).toBe(1);
    } finally {
      await w.gl.acceptConnections();
    }
  });

  it("a missing token (credentials_missing) and a refused one (unauthorized)", async () => {
    const saved = process.env.GITLAB_TOKEN;
    delete process.env.GITLAB_TOKEN;
    try {
      const missing = w.writeStack((a) => {
        delete a.gitlab![0]!.token;
      }, "missing");
      const first = await findings("fail", { config: missing });
      expect(first.codes).toEqual(["gitlab/gl credentials_missing"]);
      expect(exitCode(first.report)).toBe(1);
      const refused = w.writeStack((a) => {
        a.gitlab![0]!.token = "glpat-refused-0123456789";
      }, "refused");
      const second = await findings("fail", { config: refused });
      expect(second.codes).toEqual(["gitlab/gl unauthorized"]);
      expect(second.found[0]!.fix).toMatch(/GITLAB_TOKEN|token/);
    } finally {
      if (saved !== undefined) process.env.GITLAB_TOKEN = saved;
    }
  });
});

describe("doctor end to end: warnings (exit 0)", () => {
  it("GitLab 16.0 cannot test a hook: probe_unsupported", async () => {
    w.gl.setVersion("16.0.0");
    try {
      const { report, codes } = await findings("warn");
      expect(codes).toContain("gitlab/gl probe_unsupported");
      expect(failing(report)).toEqual([]);
      expect(exitCode(report)).toBe(0);
    } finally {
      w.gl.setVersion("18.3.0");
    }
  });

  it("Sourcegraph's webhook logging off: logging_off", async () => {
    w.sg.toggles.webhookLogging = false;
    try {
      const { report, codes } = await findings("warn", { waitMs: 1_000 });
      expect(codes).toEqual(
        expect.arrayContaining([
          "bitbucketServer/bbs logging_off",
          "github/ghe logging_off",
          "gitlab/gl logging_off",
        ]),
      );
      expect(failing(report)).toEqual([]);
      expect(exitCode(report)).toBe(0);
    } finally {
      w.sg.toggles.webhookLogging = true;
    }
  });

  it("waits out GitHub's 429 with Retry-After instead of hammering it", async () => {
    w.gh.log.length = 0;
    w.gh.inject({
      kind: "status",
      status: 429,
      retryAfter: 1,
      body: '{"message":"slow down"}',
      match: (r) => r.method === "GET" && r.path.endsWith("/hooks"),
      times: 1,
    });
    const { report } = await w.doctor({ connection: "github/ghe" });
    expect(failing(report)).toEqual([]);
    const listed = w.gh.log.filter((l) => l.method === "GET" && l.path.endsWith("/hooks"));
    expect(listed.map((l) => l.outcome)).toContain(429);
    // One refusal, then a retry that came only after Retry-After had passed, and succeeded.
    expect(listed.filter((l) => l.outcome === 429)).toHaveLength(1);
    expect(w.gh.log.filter((l) => l.early)).toEqual([]);
    expect(listed.at(-1)!.outcome).toBe(200);
  });
});

describe("redeliver end to end, direct to Sourcegraph", () => {
  it("20 events sent while Sourcegraph refused connections reach its logs exactly once; a second run sends nothing", async () => {
    const sent = await outage(w, async () => {
      await w.sg.refuseConnections();
      return async () => w.sg.acceptConnections();
    });
    expect(sent.every((d) => d.status === "failed to connect" && d.statusCode === 0)).toBe(true);
    const first = await w.redeliver({ since: "1h" });
    expect(first.report.actions.filter((a) => a.outcome === "redelivered")).toHaveLength(sent.length);
    await w.gh.settled();
    expectLoggedOnce(w, sent);
    const logged = w.sg.webhookLogs().length;
    const second = await w.redeliver({ since: "1h" });
    expect(
      second.report.actions.filter((a) => a.outcome === "redelivered" || a.outcome === "would_redeliver"),
    ).toEqual([]);
    await w.gh.settled();
    expect(w.sg.webhookLogs()).toHaveLength(logged);
    expectLoggedOnce(w, sent);
  });
});

describe("doctor end to end: the receiver deleted (last: it cannot be put back)", () => {
  it("a receiver deleted in Sourcegraph: receiver_missing", async () => {
    const receiver = w.sg.receivers().find((r) => r.codeHostKind === "BITBUCKETSERVER")!;
    w.sg.remove(receiver.uuid);
    const { report, codes } = await findings("fail");
    expect(codes).toContain("bitbucketServer/bbs receiver_missing");
    expect(exitCode(report)).toBe(1);
  });

  it("no secret, token, header or body in any output", () => {
    const printed = w.printed.join("\n");
    expect(w.printed.length).toBeGreaterThan(20);
    for (const secret of w.secrets()) expect(printed, "a known secret was printed").not.toContain(secret);
    for (const word of ["X-Hub-Signature", "X-Gitlab-Token", "sha256=", "Authorization", '"ref":']) {
      expect(printed).not.toContain(word);
    }
  });
});
