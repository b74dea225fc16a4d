// doctor and redeliver: prove that deliveries reach Sourcegraph and are accepted, and send again what
// never was. The CLI commands are thin shells over `runDoctor` and `runRedeliver`.
export { CODES, type Code } from "./codes";
export { UsageError } from "./inputs/usage-error";
export { renderRedeliverHuman, renderRedeliverJson } from "./redeliver/render";
export { type RedeliverOptions, runRedeliver } from "./redeliver/run";
export type { Action, Outcome, RedeliverReport } from "./redeliver/types";
export type { RelayRecord, RelayRecordFilter, RelayRecords } from "./relay";
export { openRelayRecords } from "./relay-store";
export { renderHuman } from "./report/human";
export { renderJson } from "./report/json";
export { type DoctorOptions, loadPlan, type PlanOptions, runDoctor } from "./run";
export type { Check, CheckName, Plan, Report, Status } from "./types";
