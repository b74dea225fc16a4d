// The policy pack Pulumi runs: `pulumi preview --policy-pack <this folder>`. The rules are in
// policies.ts, where the tests call them.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("sourcegraph-webhooks-hygiene", { policies });
