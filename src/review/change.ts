// One change between two declarations, as `sg-webhooks diff --format json` prints it (DESIGN
// section 3 pins the four fields and the kinds), and what makes a reviewer stop and read.

/** What changed; the names are part of the JSON output and never change. */
export const CHANGE_KINDS = [
  "receiver_added",
  "receiver_removed",
  "hook_added",
  "hook_removed",
  "events_added",
  "events_removed",
  "url_changed",
  "relay_changed",
  "tls_changed",
  "secret_changed",
  "connection_renamed",
  "setting_changed",
] as const;

export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One change, in the words the JSON output pins. */
export interface Change {
  /** `<code host>/<connection name>`, as in the component's `receivers` output; a config key for an encrypted whole key. */
  readonly connection: string;
  readonly kind: ChangeKind;
  /** The resource it concerns, named as `pulumi preview` names it; "" for none. */
  readonly resource: string;
  /** What happens, in the declaration's terms. Never a secret, a ciphertext or its length. */
  readonly detail: string;
}

/** A change and, when a reviewer must not miss it, why (a rename, a removal, TLS off, unsigned deliveries). */
export interface ReviewedChange extends Change {
  readonly attention?: string;
}
