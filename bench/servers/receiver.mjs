// Sourcegraph's stand-in for the full relay run, in a process of its own so that its verification
// work is not charged to the load generator: the contract fake of test/fakes/receiver. Asked on
// stdin, it prints how many deliveries it accepted.
import { join } from "node:path";

const root = join(import.meta.dirname, "../..");
const { startReceiverFake } = await import(join(root, "dist/test/fakes/receiver/index.js"));
const sg = await startReceiverFake([
  { uuid: process.env.BENCH_UUID, codeHostKind: "GITHUB", secret: process.env.BENCH_SECRET },
]);
// Counted, then forgotten: tens of thousands of 20 KB bodies would otherwise fill this process.
let accepted = 0;
const tally = () => {
  accepted += sg.accepted.length;
  sg.accepted.length = 0;
  sg.seen.length = 0;
  sg.log.length = 0;
};
setInterval(tally, 100).unref();
process.stdin.on("data", () => {
  tally();
  console.log(`ACCEPTED ${accepted}`);
});
console.log(`PORT ${new URL(sg.url).port}`);
