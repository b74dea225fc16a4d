// doctor and redeliver on the command line: exit 2 for a usage error or an input that cannot be
// read, 1 for findings, 0 when all is well; and no token in the output, even where a server echoes
// one back in an error. Runs the built CLI, as users do.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const MAIN = join(__dirname, "..", "..", "dist", "src", "cli", "main.js");
const SG_TOKEN = "sg-cli-test-token-0123456789abcdef";
const GITLAB_TOKEN = "gl-cli-test-token-abcdef0123456789";

const servers: http.Server[] = [];
const dirs: string[] = [];
let out = "";

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the built CLI; its exit code, with stdout and stderr in `out`. */
function run(...args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const env = {
      ...process.env,
      SRC_ACCESS_TOKEN: SG_TOKEN,
      GITLAB_TOKEN,
      SG_WEBHOOKS_RETRY_ATTEMPTS: "1",
    };
    execFile(process.execPath, [MAIN, ...args], { env, timeout: 20_000 }, (err, stdout, stderr) => {
      out = `${stdout}${stderr}`;
      resolve(err ? Number((err as { code?: number }).code ?? 1) : 0);
    });
  });
}

function outputsFile(sourcegraph: string): string {
  const dir = mkdtempSync(join(tmpdir(), "doctor-cli-"));
  dirs.push(dir);
  const uuid = "7b0c1f9e-1111-4c1d-8c39-000000000001";
  const file = join(dir, "outputs.json");
  writeFileSync(
    file,
    JSON.stringify({
      receivers: [
        {
          connection: "gitlab/gitlab.example.com",
          codeHostKind: "GITLAB",
          codeHostUrn: "https://gitlab.example.com",
          uuid,
          url: `${sourcegraph}/.api/webhooks/${uuid}`,
          deliveryUrl: `${sourcegraph}/.api/webhooks/${uuid}`,
        },
      ],
      hooks: [],
    }),
  );
  return file;
}

describe("exit codes", () => {
  it("2 without --config or --outputs, naming both", async () => {
    expect(await run("doctor")).toBe(2);
    expect(out).toContain("give exactly one of --config");
    expect(await run("redeliver", "--dry-run")).toBe(2);
  });

  it("2 for a stack file that cannot be read, and for a bad --since", async () => {
    expect(await run("doctor", "--config", "/nonexistent/Pulumi.prod.yaml")).toBe(2);
    expect(out).toContain("cannot read the stack file");
    expect(await run("doctor", "--outputs", outputsFile("http://127.0.0.1:9"), "--since", "yesterday")).toBe(
      2,
    );
    expect(out).toContain('--since "yesterday" must be a duration');
  });

  it("1 with findings: Sourcegraph unreachable is a failed receiver check", async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    expect(await run("doctor", "--outputs", outputsFile(`http://127.0.0.1:${port}`), "--json")).toBe(1);
    const report = JSON.parse(out);
    expect(report.ok).toBe(false);
    expect(report.checks[0]).toMatchObject({
      check: "receiver",
      status: "fail",
      code: "sourcegraph_unreachable",
    });
  });
});

describe("redaction", () => {
  it("no token reaches the output, even echoed back by a server", async () => {
    // A proxy that answers with the request's headers, and with the GitLab token it somehow knows.
    const server = http.createServer((req, res) => {
      req.resume();
      res
        .writeHead(500, { "content-type": "text/plain" })
        .end(`upstream failed; auth=${req.headers.authorization}; also ${GITLAB_TOKEN}`);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const json of [true, false]) {
      out = "";
      expect(await run("doctor", "--outputs", outputsFile(url), ...(json ? ["--json"] : []))).toBe(1);
      expect(out).toContain("answered 500");
      expect(out).toContain("[redacted]");
      expect(out).not.toContain(SG_TOKEN);
      expect(out).not.toContain(GITLAB_TOKEN);
    }
  });
});
