// The database URL is a credential. Whatever the store logs or throws goes through here first:
// pg's own messages, Node's URL errors (whose `input` property is the whole URL) and the URL itself.

const MASK = "***";

/** Every form in which the URL's password could appear in text: raw, percent-encoded, decoded. */
function passwordForms(connectionString: string): string[] {
  const forms = new Set<string>();
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(connectionString)?.[1];
  const colon = userinfo?.indexOf(":") ?? -1;
  if (userinfo !== undefined && colon >= 0) forms.add(userinfo.slice(colon + 1));
  // libpq also takes the password as a query parameter.
  for (const m of connectionString.matchAll(/[?&]password=([^&#]*)/gi)) forms.add(m[1]!);
  for (const form of [...forms]) {
    try {
      forms.add(decodeURIComponent(form));
    } catch {
      // Not valid percent-encoding: the raw form is already there.
    }
    forms.add(encodeURIComponent(form));
  }
  forms.delete("");
  // Longest first, so a form that contains another is masked whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

export interface Redactor {
  /** `text` with the password masked, and the password of any URL in it too. */
  (text: string): string;
  /** The URL without its password, for logs: `postgres://relay:***@db.example.com:5432/relay`. */
  readonly target: string;
}

/** A redactor for the password of `connectionString`. */
export function redactorFor(connectionString: string): Redactor {
  const forms = passwordForms(connectionString);
  const redact = (text: string): string => {
    let out = text;
    for (const form of forms) out = out.split(form).join(MASK);
    // Any other URL's userinfo password (a URL quoted in a message, say).
    out = out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:@/?#\s]*:)[^@/?#\s]*@/gi, `$1${MASK}@`);
    return out.replace(/([?&]password=)[^&#\s]*/gi, `$1${MASK}`);
  };
  return Object.assign(redact, { target: redact(connectionString) });
}
