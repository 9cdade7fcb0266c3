import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Store } from "@/lib/types";

vi.mock("next/link", () => ({
  default: ({ href, children, ...rest }: { href: string; children: React.ReactNode }) => (
    <a href={href} {...rest}>
      {children}
    </a>
  ),
}));
const router = { push: vi.fn(), replace: vi.fn(), refresh: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router, usePathname: () => "/stores" }));

import { CreateStoreForm } from "@/components/CreateStoreForm";
import { DeleteStoreDialog, confirmsName } from "@/components/DeleteStoreDialog";
import { StatusBadge } from "@/components/StatusBadge";
import { StoreDetail } from "@/components/StoreDetail";
import { safeNext } from "@/components/AuthForm";

const store = (over: Partial<Store> = {}): Store => ({
  id: "01a2150d-b924-74d4-b9ce-c1ece9d510b7",
  name: "Ana Bakery",
  slug: "ana-bakery",
  engine: "woocommerce",
  status: "Pending",
  message: null,
  conditions: [],
  urls: null,
  createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z",
  ...over,
});

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

class SilentEventSource {
  readyState = 0;
  onopen = null;
  onerror = null;
  addEventListener() {}
  close() {}
}

let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
  vi.stubGlobal("EventSource", SilentEventSource);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.clearAllMocks();
});

describe("CreateStoreForm", () => {
  it("sends one request with an Idempotency-Key however fast the button is clicked", async () => {
    let answer!: (r: Response) => void;
    fetchMock.mockReturnValue(new Promise<Response>((r) => (answer = r)));
    const onCreated = vi.fn();
    render(<CreateStoreForm onCreated={onCreated} />);
    fireEvent.change(screen.getByLabelText("Store name"), { target: { value: "Ana Bakery" } });
    const button = screen.getByRole("button", { name: "Create store" });
    fireEvent.click(button);
    fireEvent.click(button);
    fireEvent.submit(button.closest("form")!);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/api/sf/stores");
    expect((init.headers as Record<string, string>)["Idempotency-Key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(init.body)).toEqual({ name: "Ana Bakery" });
    expect(screen.getByRole("button", { name: "Creating…" })).toHaveProperty("disabled", true);
    await act(async () => answer(json(202, store())));
    expect(onCreated).toHaveBeenCalledWith(expect.objectContaining({ name: "Ana Bakery" }));
    expect(screen.getByRole("status").textContent).toContain("Ana Bakery");
  });

  it("reuses the key when the same name is sent again after a failure", async () => {
    fetchMock.mockRejectedValueOnce(new TypeError("network down")).mockResolvedValueOnce(json(202, store()));
    render(<CreateStoreForm onCreated={() => {}} />);
    fireEvent.change(screen.getByLabelText("Store name"), { target: { value: "Ana Bakery" } });
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Create store" })));
    expect(screen.getByTestId("create-error").textContent).toContain("Could not reach the dashboard");
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Create store" })));
    const keys = fetchMock.mock.calls.map(([, init]) => (init.headers as Record<string, string>)["Idempotency-Key"]);
    expect(keys[0]).toBe(keys[1]);
  });

  it("shows the API's name errors on the field, linked with aria-describedby", async () => {
    fetchMock.mockResolvedValue(
      json(400, { status: 400, title: "The store request is not valid", errors: { name: ["Name may contain only letters, digits, spaces and hyphens."] } }),
    );
    render(<CreateStoreForm onCreated={() => {}} />);
    fireEvent.change(screen.getByLabelText("Store name"), { target: { value: "x!x" } });
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Create store" })));
    const input = screen.getByLabelText("Store name");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    const described = input.getAttribute("aria-describedby")!.split(" ").map((id) => document.getElementById(id)?.textContent);
    expect(described.join(" ")).toContain("Name may contain only letters, digits, spaces and hyphens.");
  });

  it("explains a quota refusal and a rate limit in plain words", async () => {
    fetchMock
      .mockResolvedValueOnce(
        json(409, {
          status: 409,
          type: "https://storefleet.dev/problems/quota-exceeded",
          title: "Store quota reached",
          detail: "You already have 3 of 3 stores. Delete a store you no longer need, or ask an operator to raise your quota.",
          quota: { used: 3, limit: 3 },
        }),
      )
      .mockResolvedValueOnce(json(429, { status: 429, detail: "You are changing stores too quickly. Try again in 4 seconds." }, { "Retry-After": "4" }));
    render(<CreateStoreForm onCreated={() => {}} />);
    fireEvent.change(screen.getByLabelText("Store name"), { target: { value: "Fourth" } });
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Create store" })));
    expect(screen.getByTestId("create-error").textContent).toMatch(/3 of 3 stores\. Delete a store/);
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Create store" })));
    expect(screen.getByTestId("create-error").textContent).toMatch(/too quickly.*try again in 4 s/i);
    expect(screen.getByRole("button", { name: "Create store" })).toHaveProperty("disabled", true);
  });
});

describe("DeleteStoreDialog", () => {
  it("enables Delete only when the store's name is typed", () => {
    const onConfirm = vi.fn();
    render(<DeleteStoreDialog name="Ana Bakery" open busy={false} error={null} onCancel={() => {}} onConfirm={onConfirm} />);
    const button = screen.getByRole("button", { name: "Delete store", hidden: true });
    const input = screen.getByLabelText(/to confirm/);
    expect(button).toHaveProperty("disabled", true);
    fireEvent.change(input, { target: { value: "Ana" } });
    expect(button).toHaveProperty("disabled", true);
    fireEvent.change(input, { target: { value: "Ana Bakery" } });
    expect(button).toHaveProperty("disabled", false);
    fireEvent.submit(button.closest("form")!);
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it("compares names exactly, forgiving only surrounding spaces", () => {
    expect(confirmsName(" Ana Bakery ", "Ana Bakery")).toBe(true);
    expect(confirmsName("ana bakery", "Ana Bakery")).toBe(false);
    expect(confirmsName("", "")).toBe(false);
  });
});

describe("StoreDetail", () => {
  it("explains an Error and retries it", async () => {
    const failed = store({ status: "Error", message: "Setup job failed: Cash on Delivery is not offered by the Store API" });
    fetchMock.mockImplementation(async (url: string, init: RequestInit) => {
      if (url.endsWith("/retry") && init.method === "POST") return json(202, { ...failed, status: "Pending", updatedAt: "2026-01-01T00:01:00Z" });
      if (url.includes("/events")) return json(200, { items: [], nextCursor: null });
      return json(200, failed);
    });
    render(<StoreDetail initialStore={failed} initialEvents={[]} />);
    expect(screen.getByRole("alert").textContent).toContain("Cash on Delivery is not offered");
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Retry" })));
    expect(fetchMock.mock.calls.some(([url, init]) => url === `/api/sf/stores/${failed.id}/retry` && init.method === "POST")).toBe(true);
    await waitFor(() => expect(screen.queryByRole("button", { name: "Retry" })).toBeNull());
    expect(document.querySelector("[data-status]")?.getAttribute("data-status")).toBe("Pending");
  });

  it("reveals the admin password only on request, for a Ready store", async () => {
    const ready = store({ status: "Ready", urls: { storefront: "http://ana.example", admin: "http://ana.example/wp-admin" } });
    fetchMock.mockImplementation(async (url: string) =>
      url.includes("/backups")
        ? json(200, { items: [] })
        : json(200, { username: "admin", password: "s3cret-Pa55", adminUrl: "http://ana.example/wp-admin" }),
    );
    render(<StoreDetail initialStore={ready} initialEvents={[]} />);
    expect(screen.queryByText("s3cret-Pa55")).toBeNull();
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Show admin password" })));
    expect(screen.getByTestId("admin-password").textContent).toBe("s3cret-Pa55");
    fireEvent.click(screen.getByRole("button", { name: "Hide password" }));
    expect(screen.queryByText("s3cret-Pa55")).toBeNull();
  });
});

describe("small pieces", () => {
  it("status badges carry the status as text", () => {
    render(<StatusBadge status="Error" />);
    expect(screen.getByText("Error").className).toContain("badge-Error");
  });

  it("follows only same-site paths after sign-in", () => {
    expect(safeNext("/stores/abc")).toBe("/stores/abc");
    expect(safeNext("//evil.example")).toBe("/stores");
    expect(safeNext("https://evil.example")).toBe("/stores");
    expect(safeNext("/api/auth/logout")).toBe("/stores");
    expect(safeNext(undefined)).toBe("/stores");
  });
});
