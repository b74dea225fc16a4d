// Proves the Kubernetes example (docs/examples/kubernetes/relay.yaml) parses, and runs real sg-webhooks commands and flags with the database URL from a Secret.
// Not applied (no cluster here): every document is YAML with apiVersion and kind, each container that
// runs sg-webhooks parses with the CLI's own commander tree, and the pieces refer to each other.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseReceivers } from "../../src/relay/receivers-file";
import { DATABASE_URL_ENV } from "../../src/relay/store-target";
import { ROOT, read } from "./markdown";
import { parseWithCli } from "./shell-commands";

const FILE = "docs/examples/kubernetes/relay.yaml";

interface Container {
  name?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  readinessProbe?: { httpGet?: { path?: string } };
  livenessProbe?: { httpGet?: { path?: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}

interface Manifest {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: string };
  spec?: {
    replicas?: number;
    template?: {
      spec?: {
        containers?: Container[];
        volumes?: { name: string; secret?: { secretName: string } }[];
      };
    };
  };
  stringData?: Record<string, string>;
  data?: Record<string, string>;
}

/** The documents of a manifest, or the YAML errors that stop it being one. */
function parseManifest(text: string): { docs: Manifest[]; problems: string[] } {
  const problems: string[] = [];
  const docs: Manifest[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    for (const e of doc.errors) problems.push(`document ${i + 1}: ${e.message}`);
    const value = doc.toJS() as Manifest | null;
    if (value === null) return;
    if (typeof value.apiVersion !== "string" || typeof value.kind !== "string")
      problems.push(`document ${i + 1}: no apiVersion or kind`);
    docs.push(value);
  });
  return { docs, problems };
}

/** The sg-webhooks arguments a container runs, if it runs sg-webhooks. */
function sgWebhooksArgs(c: Container): string[] | undefined {
  const words = [...(c.command ?? []), ...(c.args ?? [])];
  return words.length > 0 && path.basename(words[0]!) === "sg-webhooks" ? words.slice(1) : undefined;
}

/** What is wrong with the manifest as an example of relays on PostgreSQL (nothing, for a good one). */
async function manifestProblems(text: string): Promise<string[]> {
  const { docs, problems } = parseManifest(text);
  if (problems.length > 0) return problems;
  const secrets = new Map(
    docs.filter((d) => d.kind === "Secret").map((d) => [d.metadata?.name, { ...d.data, ...d.stringData }]),
  );
  const deployments = docs.filter((d) => d.kind === "Deployment");
  if (deployments.length === 0) problems.push("no Deployment");
  if (!docs.some((d) => d.kind === "Service")) problems.push("no Service");
  for (const d of deployments) {
    const name = d.metadata?.name;
    if ((d.spec?.replicas ?? 1) < 2) problems.push(`${name}: fewer than 2 replicas is not high availability`);
    const pod = d.spec?.template?.spec;
    for (const c of pod?.containers ?? []) {
      const args = sgWebhooksArgs(c);
      if (!args) continue;
      const where = `${name}/${c.name}`;
      const { error } = await parseWithCli(args);
      if (error) problems.push(`${where}: sg-webhooks ${args.join(" ")}: ${error}`);
      if (args[0] !== "serve") continue;
      if (args.includes("--data-dir")) problems.push(`${where}: --data-dir is one relay's SQLite store`);
      if (args.includes("--database-url"))
        problems.push(`${where}: --database-url shows the password in the pod's spec and ps`);
      const url = c.env?.find((e) => e.name === DATABASE_URL_ENV);
      const ref = url?.valueFrom?.secretKeyRef;
      if (!ref) problems.push(`${where}: ${DATABASE_URL_ENV} does not come from a Secret`);
      else if (secrets.has(ref.name) && !(ref.key in secrets.get(ref.name)!))
        problems.push(`${where}: Secret ${ref.name} has no key ${ref.key}`);
      if (c.readinessProbe?.httpGet?.path !== "/readyz")
        problems.push(`${where}: no readiness probe on /readyz`);
      if (c.livenessProbe?.httpGet?.path !== "/healthz")
        problems.push(`${where}: no liveness probe on /healthz`);
      // The receivers file is a key of a mounted Secret, and that key parses as a receivers file.
      const file = args[args.indexOf("--receivers") + 1];
      if (args.includes("--receivers") && file) {
        const mount = c.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
        const volume = pod?.volumes?.find((v) => v.name === mount?.name);
        const data = volume?.secret ? secrets.get(volume.secret.secretName) : undefined;
        const key = mount ? file.slice(mount.mountPath.length + 1) : "";
        if (!data?.[key]) problems.push(`${where}: --receivers ${file} is not a key of a mounted Secret`);
        else {
          try {
            parseReceivers(JSON.parse(data[key]), `${FILE} ${key}`);
          } catch (err) {
            problems.push(`${where}: ${(err as Error).message}`);
          }
        }
      }
    }
  }
  return problems;
}

const MANIFEST = read(FILE);

describe("the Kubernetes example", () => {
  it("every document is YAML with apiVersion and kind", () => {
    const { docs, problems } = parseManifest(MANIFEST);
    expect(problems).toEqual([]);
    expect(docs.map((d) => d.kind).sort()).toEqual(
      ["Deployment", "Namespace", "PodDisruptionBudget", "Secret", "Secret", "Service"].sort(),
    );
  });

  it("runs sg-webhooks serve with real flags, three replicas, the URL from a Secret and /readyz as readiness", async () => {
    expect(await manifestProblems(MANIFEST)).toEqual([]);
    const deployment = parseManifest(MANIFEST).docs.find((d) => d.kind === "Deployment")!;
    expect(deployment.spec?.replicas).toBe(3);
  });

  it("is linked from the high-availability page", () => {
    expect(read("docs/relay-high-availability.md")).toContain("(examples/kubernetes/relay.yaml)");
    expect(path.join(ROOT, FILE)).toContain("docs/examples/kubernetes");
  });
});

describe("the checks above catch what they exist to catch", () => {
  const broken = async (from: string | RegExp, to: string) => {
    const text = MANIFEST.replace(from, to);
    expect(text).not.toBe(MANIFEST);
    return manifestProblems(text);
  };

  it("an unknown flag, a missing value, or a command that does not exist", async () => {
    expect(await broken("- --database-pool-size", "- --database-pool")).toEqual([
      expect.stringMatching(/unknown option '--database-pool'/),
    ]);
    expect(await broken(/- serve\n/, "- server\n")).toEqual([
      expect.stringMatching(/unknown command 'server'/),
    ]);
  });

  it("a URL in a flag or a plain variable instead of a Secret, and a SQLite data directory", async () => {
    expect(
      await broken(
        /valueFrom:\n\s+secretKeyRef:\n\s+name: sg-webhooks-database\n\s+key: url/,
        'value: "postgres://relay@db/relay"',
      ),
    ).toEqual([expect.stringMatching(/SG_WEBHOOKS_DATABASE_URL does not come from a Secret/)]);
    expect(
      await broken(
        "            - --shutdown-grace\n",
        "            - --data-dir\n            - /data\n            - --shutdown-grace\n",
      ),
    ).toContainEqual(expect.stringMatching(/--data-dir is one relay's SQLite store/));
    expect(
      await broken(
        "            - --shutdown-grace\n",
        "            - --database-url\n            - postgres://x@y/z\n            - --shutdown-grace\n",
      ),
    ).toEqual([expect.stringMatching(/--database-url shows the password/)]);
  });

  it("a readiness probe elsewhere than /readyz, one replica, YAML that does not parse, a bad receivers file", async () => {
    expect(await broken("path: /readyz", "path: /healthz")).toEqual([
      expect.stringMatching(/no readiness probe on \/readyz/),
    ]);
    expect(await broken("replicas: 3", "replicas: 1")).toEqual([
      expect.stringMatching(/fewer than 2 replicas/),
    ]);
    expect(await broken("kind: Service", "kind: Service\n  bad: [")).not.toEqual([]);
    expect(await broken('"codeHostKind": "GITHUB"', '"codeHostKind": "GITHUBB"')).toEqual([
      expect.stringMatching(/codeHostKind/),
    ]);
  });
});
