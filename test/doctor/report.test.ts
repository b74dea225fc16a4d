// The report: every code with the status DESIGN section 3 pins, `ok` exactly when nothing fails, the
// JSON shape as pinned, and the human table with each finding's fix.
import { describe, expect, it } from "vitest";
import { CODES, finding, isOk, pass, skip } from "../../src/doctor/codes";
import { renderHuman } from "../../src/doctor/report/human";
import { renderJson } from "../../src/doctor/report/json";
import type { Report } from "../../src/doctor/types";

const PINNED_FAIL = [
  "receiver_missing",
  "connection_missing",
  "hook_missing",
  "hook_wrong_url",
  "hook_events_missing",
  "hook_inactive",
  "hook_disabled",
  "content_type_not_json",
  "probe_not_delivered",
  "probe_refused_signature",
  "probe_refused",
  "relay_unhealthy",
  "sourcegraph_unreachable",
  "code_host_unreachable",
  "credentials_missing",
  "unauthorized",
];
const PINNED_WARN = ["probe_unsupported", "logging_off", "recent_failures", "no_delivery_yet"];

describe("codes", () => {
  it("are exactly the pinned ones, each with its status", () => {
    const expected = {
      ok: "ok",
      skipped: "skip",
      ...Object.fromEntries(PINNED_FAIL.map((c) => [c, "fail"])),
      ...Object.fromEntries(PINNED_WARN.map((c) => [c, "warn"])),
      // Warn as declared; a finding built with status "fail" when it drifted.
      ssl_verification_off: "warn",
    };
    expect(CODES).toEqual(expected);
  });

  it("ssl_verification_off fails when it drifted", () => {
    const at = { connection: "gitlab/x", target: "project a" };
    expect(finding(at, "tls", "ssl_verification_off", "m", "f").status).toBe("warn");
    expect(finding(at, "tls", "ssl_verification_off", "m", "f", "fail").status).toBe("fail");
  });
});

const at = { connection: "gitlab/gitlab.example.com", target: "project group/app" };
const report = (checks: Report["checks"]): Report => ({ ok: isOk(checks), checks });

describe("ok", () => {
  it("is true exactly when no check fails: warnings and skips do not count", () => {
    expect(
      isOk([
        pass(at, "hook", "m"),
        skip(at, "probe", "m"),
        finding(at, "history", "recent_failures", "m", "f"),
      ]),
    ).toBe(true);
    expect(isOk([pass(at, "hook", "m"), finding(at, "hook", "hook_missing", "m", "f")])).toBe(false);
    expect(isOk([])).toBe(true);
  });
});

describe("renderJson", () => {
  it("prints { ok, checks } with the pinned keys in order, and nothing else", () => {
    const r = report([
      pass(at, "hook", "hook 1 delivers"),
      finding(at, "probe", "probe_refused_signature", "refused", "rotate"),
    ]);
    const parsed = JSON.parse(renderJson(r));
    expect(Object.keys(parsed)).toEqual(["ok", "checks"]);
    expect(parsed.ok).toBe(false);
    for (const c of parsed.checks) {
      expect(Object.keys(c)).toEqual(["connection", "target", "check", "status", "code", "message", "fix"]);
    }
    expect(parsed.checks[1]).toEqual({
      connection: "gitlab/gitlab.example.com",
      target: "project group/app",
      check: "probe",
      status: "fail",
      code: "probe_refused_signature",
      message: "refused",
      fix: "rotate",
    });
  });
});

describe("renderHuman", () => {
  it("groups by connection, shows each finding's code and fix, and counts", () => {
    const text = renderHuman(
      report([
        pass({ connection: "github/github.com", target: "receiver r" }, "receiver", "GITHUB receiver"),
        pass(at, "hook", "hook 7 delivers to https://sg/x"),
        finding(at, "active", "hook_disabled", "GitLab disabled it", "re-enable it"),
        skip(at, "probe", "not sent (--no-probe)"),
      ]),
    );
    expect(text).toBe(
      [
        "github/github.com",
        "  ok    receiver  receiver r         GITHUB receiver",
        "",
        "gitlab/gitlab.example.com",
        "  ok    hook      project group/app  hook 7 delivers to https://sg/x",
        "  FAIL  active    project group/app  hook_disabled: GitLab disabled it",
        "        fix: re-enable it",
        "  skip  probe     project group/app  not sent (--no-probe)",
        "",
        "problems found: 2 ok, 0 warning(s), 1 failure(s), 1 skipped",
        "",
      ].join("\n"),
    );
  });
});
