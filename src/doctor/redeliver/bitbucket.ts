// Neither Bitbucket resends on request: the Sourcegraph plugin retries a failed delivery itself
// (4 more times over about 8 minutes, in memory), and Bitbucket Cloud retries a 5xx twice. Through
// a relay, what Sourcegraph never took is in the relay's dead letters, which `dlq replay` sends.
import { type RedeliverContext, relayDeadLetters, relayRefusal } from "./context";
import type { Action } from "./types";

export async function redeliverBitbucket(ctx: RedeliverContext): Promise<Action[]> {
  const host = ctx.connection.codeHost === "bitbucketServer" ? "Bitbucket Server" : "Bitbucket Cloud";
  const base = { connection: ctx.connection.id, target: ctx.at.target, delivery: "", event: "" };
  if (ctx.connection.relayUrl === undefined) {
    return [
      {
        ...base,
        outcome: "unsupported",
        message: `${host} cannot be asked to send a delivery again${ctx.connection.codeHost === "bitbucketServer" ? " (the plugin retries a failure 4 times over about 8 minutes by itself)" : " (it retries a 5xx twice by itself)"}`,
        fix: "put the relay (sg-webhooks serve) in front of Sourcegraph to keep what it misses: its dead letters can be replayed",
      },
    ];
  }
  const dead = await relayDeadLetters(ctx, ctx.connection.codeHostKind);
  if (!Array.isArray(dead)) return [dead];
  // One receiver serves every hook of the connection: its dead letters are reported once.
  if (dead.length === 0 || ctx.hook !== ctx.connection.hooks[0]) {
    return [
      {
        ...base,
        outcome: "nothing",
        message:
          dead.length === 0
            ? "the relay holds no dead letter for this receiver"
            : "see the connection's first hook",
        fix: "",
      },
    ];
  }
  const uuid = ctx.receiver?.uuid ?? ctx.connection.receiverUuid;
  const refused = dead.map(relayRefusal).filter((r) => r !== undefined);
  return [
    {
      ...base,
      outcome: "manual",
      message: `the relay holds ${dead.length} dead letter(s) for this receiver (${refused.length} refused by Sourcegraph, ${dead.length - refused.length} expired), and ${host} cannot send them again`,
      fix: `${refused.length > 0 ? `${refused[0]!.fix}; then ` : ""}replay them from the relay: sg-webhooks dlq replay (--data-dir <dir> | --database-url <url>) --receiver ${uuid}`,
    },
  ];
}
