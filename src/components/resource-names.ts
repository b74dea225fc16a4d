// The names the component gives its children, which `pulumi preview` shows and the state keys
// resources by. One place, so that tools that describe a declaration without deploying it
// (`sg-webhooks diff`, doctor's plan) print exactly the names a preview prints. Changing any of
// these replaces every existing resource: they never change.
import type { CodeHost } from "../../providers/events";

/** What a name is made from: the connection's code host and its key (its `name`, else its URL's host). */
export interface NamedConnection {
  readonly host: CodeHost;
  readonly key: string;
}

/** A connection's receiver: `<component>-<code host>-<connection key>`, the prefix of its other children. */
export function receiverResourceName(component: string, connection: NamedConnection): string {
  return `${component}-${connection.host}-${connection.key}`;
}

/** A hook: the receiver's name, then the hook's own (`project-platform/web`, `org-acme`, `global`). */
export function hookResourceName(component: string, connection: NamedConnection, hook: string): string {
  return `${receiverResourceName(component, connection)}-${hook}`;
}

/** The GitHub provider the component creates for an owner that has none in `providers`. */
export function githubProviderResourceName(
  component: string,
  connection: NamedConnection,
  owner: string,
): string {
  return `${receiverResourceName(component, connection)}-${owner}`;
}
