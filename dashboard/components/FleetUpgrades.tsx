"use client";
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { callApi } from "@/lib/client";
import { formatTime } from "@/lib/format";
import type { ChartVersion, Rollout, RolloutState } from "@/lib/types";

/** How often the list is refreshed while a rollout is moving (waves and counts change by the second). */
const LIVE_MS = 2000;
const ACTIVE: RolloutState[] = ["Running", "Paused", "RollingBack"];

type Action = "pause" | "resume" | "abort" | "rollback";

/** Which actions the API accepts in each state (the API checks again; this only hides what would be refused). */
export function actionsFor(state: RolloutState): Action[] {
  switch (state) {
    case "Running":
      return ["pause", "abort", "rollback"];
    case "Paused":
      return ["resume", "abort", "rollback"];
    case "RollingBack":
      return ["abort"];
    case "Completed":
    case "Aborted":
      return ["rollback"];
    default:
      return [];
  }
}

/** "1, 10, 50, 100" → [1, 10, 50, 100]; null when it is not a list of whole numbers. */
export function parseWaves(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) return null;
  return parts.map(Number);
}

const LABEL: Record<Action, string> = { pause: "Pause", resume: "Resume", abort: "Abort", rollback: "Roll back" };
const CONFIRM: Partial<Record<Action, string>> = {
  abort: "Abort this rollout? Stores already upgraded keep the new version.",
  rollback: "Roll back every store this rollout touched to the version it ran before?",
};

export function FleetUpgrades({ initialVersions, initialRollouts }: { initialVersions: ChartVersion[]; initialRollouts: Rollout[] }) {
  const [versions, setVersions] = useState(initialVersions);
  const [rollouts, setRollouts] = useState(initialRollouts);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    const [r, v] = await Promise.all([callApi<{ items: Rollout[] }>("/admin/upgrades"), callApi<{ items: ChartVersion[] }>("/admin/chart-versions")]);
    if (r.ok) setRollouts(r.data.items);
    if (v.ok) setVersions(v.data.items);
  }, []);

  const moving = rollouts.some((r) => ACTIVE.includes(r.state));
  useEffect(() => {
    if (!moving) return;
    const timer = setInterval(() => void refresh(), LIVE_MS);
    return () => clearInterval(timer);
  }, [moving, refresh]);

  async function act(rollout: Rollout, action: Action) {
    if (CONFIRM[action] && !window.confirm(CONFIRM[action])) return;
    setBusy(true);
    setError(null);
    const res = await callApi<Rollout>(`/admin/upgrades/${rollout.id}/${action}`, { method: "POST" });
    setBusy(false);
    if (!res.ok) return setError(res.explained.message);
    setRollouts((old) => old.map((r) => (r.id === res.data.id ? res.data : r)));
  }

  async function start(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const waves = parseWaves(String(data.get("waves") ?? ""));
    if (!waves) return setError("Waves must be whole percentages separated by commas, for example 5, 25, 100.");
    const from = String(data.get("fromVersion") ?? "");
    const pause = Number(data.get("pauseSeconds") ?? 0);
    setBusy(true);
    setError(null);
    const res = await callApi<Rollout>("/admin/upgrades", {
      method: "POST",
      json: {
        toVersion: String(data.get("toVersion") ?? ""),
        ...(from ? { fromVersion: from } : {}),
        waves,
        maxFailures: Number(data.get("maxFailures") ?? 0),
        pauseBetweenWaves: new Date(pause * 1000).toISOString().slice(11, 19),
      },
      knownFields: ["toVersion", "fromVersion", "waves", "maxFailures", "pauseBetweenWaves"],
    });
    setBusy(false);
    if (!res.ok) return setError(res.explained.message);
    setRollouts((old) => [res.data, ...old]);
  }

  const installable = versions.filter((v) => v.installable);
  const fallback = installable.find((v) => !v.default)?.version ?? installable[0]?.version ?? "";

  return (
    <section className="card" aria-labelledby="fleet-upgrades" aria-busy={busy}>
      <h2 id="fleet-upgrades">Fleet upgrades</h2>
      <div className="table-wrap" role="region" aria-label="Chart versions" tabIndex={0}>
        <table data-testid="chart-versions">
          <thead>
            <tr>
              <th scope="col">Chart version</th>
              <th scope="col">Stores</th>
              <th scope="col">Notes</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version}>
                <td className="mono">{v.version}</td>
                <td>{v.stores}</td>
                <td className="small">
                  {[v.default && "default for new stores", v.synthetic && "synthetic (simulated twin only)", !v.installable && "not installable any more"]
                    .filter(Boolean)
                    .join(" · ")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <form className="inline-form spaced" onSubmit={start} aria-label="Start a rollout">
        <div>
          <label htmlFor="rollout-to" className="small">
            Upgrade to
          </label>
          <select id="rollout-to" name="toVersion" defaultValue={fallback}>
            {installable.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="rollout-from" className="small">
            From
          </label>
          <select id="rollout-from" name="fromVersion" defaultValue="">
            <option value="">every other version</option>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
              </option>
            ))}
          </select>
        </div>
        <div className="grow">
          <label htmlFor="rollout-waves" className="small">
            Waves (cumulative %)
          </label>
          <input id="rollout-waves" name="waves" defaultValue="5, 25, 100" required />
        </div>
        <div>
          <label htmlFor="rollout-failures" className="small">
            Max failures per wave
          </label>
          <input id="rollout-failures" name="maxFailures" type="number" min={0} defaultValue={0} />
        </div>
        <div>
          <label htmlFor="rollout-pause" className="small">
            Pause between waves (s)
          </label>
          <input id="rollout-pause" name="pauseSeconds" type="number" min={0} max={86399} defaultValue={0} />
        </div>
        <button type="submit" className="align-end" disabled={busy || installable.length === 0}>
          Start rollout
        </button>
      </form>

      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}

      {rollouts.length === 0 ? (
        <p className="empty">No rollout yet. A rollout moves stores to a chart version in waves; each wave waits until the one before is Ready.</p>
      ) : (
        <ul className="rollouts" data-testid="rollouts" aria-live="polite">
          {rollouts.map((r) => (
            <li key={r.id} className="card" data-testid="rollout" data-state={r.state}>
              <div className="spread">
                <h3>
                  {r.fromVersion ?? "every version"} → {r.toVersion} <span className="badge">{r.state}</span>
                </h3>
                <div className="form-actions">
                  {actionsFor(r.state).map((a) => (
                    <button key={a} type="button" className={a === "rollback" || a === "abort" ? "danger" : "secondary"} disabled={busy} onClick={() => act(r, a)}>
                      {LABEL[a]}
                    </button>
                  ))}
                </div>
              </div>
              <p className="small">{r.reason}</p>
              <p className="small muted">
                Started by {r.createdBy} at {formatTime(r.createdAt)}
                {r.finishedAt && <> · finished at {formatTime(r.finishedAt)}</>}
                {r.rollback && (
                  <>
                    {" "}
                    · rollback: {r.rollback.ready} of {r.rollback.stores} stores Ready on their previous version
                    {r.rollback.failed > 0 && `, ${r.rollback.failed} failing`}
                  </>
                )}
              </p>
              <div className="table-wrap" role="region" aria-label={`Waves of the rollout to ${r.toVersion}`} tabIndex={0}>
                <table data-testid="waves">
                  <thead>
                    <tr>
                      <th scope="col">Wave</th>
                      <th scope="col">Up to</th>
                      <th scope="col">Stores</th>
                      <th scope="col">Upgraded</th>
                      <th scope="col">Ready</th>
                      <th scope="col">Failed</th>
                      <th scope="col">State</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.waves.map((w, i) => (
                      <tr key={i}>
                        <td>{i + 1}</td>
                        <td>{w.percent} %</td>
                        <td>{w.stores}</td>
                        <td>{w.upgraded}</td>
                        <td>{w.ready}</td>
                        <td>{w.failed}</td>
                        <td>{w.state}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {r.waves.some((w) => w.failingStores.length > 0) && (
                <>
                  <h4>Failing stores</h4>
                  <ul className="small" data-testid="failing-stores">
                    {r.waves.flatMap((w) =>
                      w.failingStores.map((f) => (
                        <li key={f.id}>
                          <span className="mono">{f.slug}</span> ({f.status}): {f.message ?? "no status yet"}
                        </li>
                      )),
                    )}
                  </ul>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
