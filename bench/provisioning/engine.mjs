// A small deployment engine over the dynamic-provider host, as `pulumi up`, `pulumi refresh` and
// `pulumi destroy` drive providers: up to `parallel` resource operations in flight (the engine's
// --parallel), check then create for a new resource, check then diff (then update) for a stored
// one, read on refresh, delete on destroy. The state keeps what the engine would keep: a failed
// create stores nothing, a failed delete keeps the resource, so a run that is repeated (the user's
// next `pulumi up` or `pulumi destroy`) starts from it. After a failure it goes on with the
// resources that do not depend on the failed one, as `pulumi up --continue-on-error` does (by
// default the engine stops starting new operations; the next run then has more left to do).

/** Runs `task` for every item with at most `parallel` in flight; never throws. */
export async function pool(items, parallel, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await task(items[i], i) };
      } catch (error) {
        results[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}

function skipped(wave) {
  const now = performance.now();
  return { count: 0, skipped: wave.length, ops: {}, failures: [], started: now, ended: now };
}

/**
 * A stack's state and the commands run on it. A resource is declared as `{ urn, props() }`: its
 * inputs are computed when its operation starts, since they may need the outputs of others.
 */
export class Stack {
  /** urn -> { id, inputs, outputs } */
  state = new Map();

  constructor(parallel = 16) {
    this.parallel = parallel;
  }

  /**
   * Brings the declared resources to their inputs, one wave after the other (a wave depends on the
   * outputs of the earlier ones, as hooks depend on their receiver). Returns per wave: the
   * operations taken, their failures, and when the wave started and ended. As the engine skips
   * the dependents of a resource that failed, a wave with a failure ends the run.
   */
  async up(host, waves) {
    const out = [];
    for (const wave of waves) {
      if (out.some((w) => w.failures.length > 0)) {
        out.push(skipped(wave));
        continue;
      }
      const started = performance.now();
      const results = await pool(wave, this.parallel, (r) => this.apply(host, r.urn, r.props()));
      out.push(this.#summary(wave, results, started));
    }
    return out;
  }

  /** Reads every stored resource of each wave; one reported gone leaves the state. */
  async refresh(host, waves) {
    const out = [];
    for (const wave of waves) {
      const stored = wave.filter((r) => this.state.has(r.urn));
      const started = performance.now();
      const results = await pool(stored, this.parallel, async (r) => {
        const s = this.state.get(r.urn);
        const read = await host.read(s.id, r.urn, s.outputs);
        if (!read) {
          this.state.delete(r.urn);
          return "gone";
        }
        this.state.set(r.urn, { ...s, id: read.id, outputs: read.props });
        return "read";
      });
      out.push(this.#summary(stored, results, started));
    }
    return out;
  }

  /**
   * Deletes every stored resource, the last wave first (dependents before what they depend on); a
   * wave with a failure keeps the earlier waves, which its resources still depend on.
   */
  async destroy(host, waves) {
    const out = [];
    for (const wave of [...waves].reverse()) {
      const stored = wave.filter((r) => this.state.has(r.urn));
      if (out.some((w) => w.failures.length > 0)) {
        out.push(skipped(stored));
        continue;
      }
      const started = performance.now();
      const results = await pool(stored, this.parallel, async (r) => {
        const s = this.state.get(r.urn);
        await host.delete(s.id, r.urn, s.outputs);
        this.state.delete(r.urn);
        return "delete";
      });
      out.push(this.#summary(stored, results, started));
    }
    return out.reverse();
  }

  async apply(host, urn, news) {
    const prior = this.state.get(urn);
    const checked = await host.check(urn, prior?.inputs ?? {}, news);
    if (checked.failures.length > 0) {
      throw new Error(
        `check of ${urn}: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
      );
    }
    if (!prior) {
      const { id, outs } = await host.create(urn, checked.inputs);
      this.state.set(urn, { id, inputs: checked.inputs, outputs: outs });
      return "create";
    }
    const diff = await host.diff(prior.id, urn, prior.outputs, checked.inputs);
    if (!diff.changes) return "same";
    if (diff.replaces.length > 0)
      throw new Error(`${urn}: unexpected replacement of ${diff.replaces.join(", ")}`);
    const outs = await host.update(prior.id, urn, prior.outputs, checked.inputs);
    this.state.set(urn, { ...prior, inputs: checked.inputs, outputs: outs });
    return "update";
  }

  #summary(wave, results, started) {
    const ops = {};
    const failures = [];
    results.forEach((r, i) => {
      if (r.ok) ops[r.value] = (ops[r.value] ?? 0) + 1;
      else
        failures.push({ urn: wave[i].urn, message: String(r.error?.details ?? r.error?.message ?? r.error) });
    });
    return { count: wave.length, skipped: 0, ops, failures, started, ended: performance.now() };
  }
}
