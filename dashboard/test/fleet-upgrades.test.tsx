import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FleetUpgrades, actionsFor, parseWaves } from "@/components/FleetUpgrades";
import type { ChartVersion, Rollout } from "@/lib/types";

const versions: ChartVersion[] = [
  { version: "0.1.0", stores: 12, default: true, synthetic: false, installable: true },
  { version: "0.2.0", stores: 3, default: false, synthetic: true, installable: true },
];

const rollout = (over: Partial<Rollout> = {}): Rollout => ({
  id: "01a2150d-b924-74d4-b9ce-c1ece9d510b7",
  fromVersion: "0.1.0",
  toVersion: "0.2.0",
  state: "Paused",
  reason: "Paused automatically: 1 of 3 stores of wave 1 (5 %) failed at 0.2.0",
  maxFailures: 0,
  pauseBetweenWaves: "00:00:00",
  waveTimeout: "00:20:00",
  waves: [
    { percent: 5, stores: 3, upgraded: 3, ready: 2, failed: 1, state: "Failed", startedAt: "2026-12-01T10:00:00Z", finishedAt: null,
      failingStores: [{ id: "01a2150d-b924-74d4-b9ce-c1ece9d510b8", slug: "ana-bakery", name: "Ana Bakery", status: "Error", message: "Setup job failed" }] },
    { percent: 100, stores: 12, upgraded: 0, ready: 0, failed: 0, state: "Pending", startedAt: null, finishedAt: null, failingStores: [] },
  ],
  rollback: null,
  createdBy: "root@example.com",
  createdAt: "2026-12-01T10:00:00Z",
  finishedAt: null,
  ...over,
});

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.clearAllMocks();
});

describe("FleetUpgrades", () => {
  it("shows each wave's counts, the failing stores and why the rollout paused", () => {
    render(<FleetUpgrades initialVersions={versions} initialRollouts={[rollout()]} />);
    expect(screen.getByTestId("chart-versions").textContent).toContain("synthetic (simulated twin only)");
    const waves = screen.getByTestId("waves").querySelectorAll("tbody tr");
    expect(waves[0].textContent).toBe("15 %3321Failed");
    expect(screen.getByTestId("failing-stores").textContent).toContain("ana-bakery (Error): Setup job failed");
    expect(screen.getByText(/Paused automatically/)).toBeTruthy();
  });

  it("offers only the actions the rollout's state allows and sends the one clicked", async () => {
    fetchMock.mockResolvedValue(json(200, rollout({ state: "Running", reason: "Resumed by root@example.com." })));
    render(<FleetUpgrades initialVersions={versions} initialRollouts={[rollout()]} />);
    expect(screen.queryByRole("button", { name: "Pause" })).toBeNull();
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Resume" })));
    expect(fetchMock).toHaveBeenCalledWith("/api/sf/admin/upgrades/01a2150d-b924-74d4-b9ce-c1ece9d510b7/resume", expect.objectContaining({ method: "POST" }));
    expect(screen.getByRole("button", { name: "Pause" })).toBeTruthy();
    expect(screen.getByText("Resumed by root@example.com.")).toBeTruthy();
  });

  it("starts a rollout with the waves typed as cumulative percentages", async () => {
    fetchMock.mockResolvedValue(json(202, rollout({ state: "Running", reason: "Created" })));
    render(<FleetUpgrades initialVersions={versions} initialRollouts={[]} />);
    fireEvent.change(screen.getByLabelText("Waves (cumulative %)"), { target: { value: "1, 10, 50, 100" } });
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Start rollout" })));
    const body = JSON.parse(fetchMock.mock.calls[0][1].body as string);
    expect(body).toEqual({ toVersion: "0.2.0", waves: [1, 10, 50, 100], maxFailures: 0, pauseBetweenWaves: "00:00:00" });
    expect(screen.getAllByTestId("rollout")).toHaveLength(1);
  });

  it("knows which actions each state allows and reads waves", () => {
    expect(actionsFor("Completed")).toEqual(["rollback"]);
    expect(actionsFor("RolledBack")).toEqual([]);
    expect(parseWaves("5, 25,100")).toEqual([5, 25, 100]);
    expect(parseWaves("5, x")).toBeNull();
  });
});
