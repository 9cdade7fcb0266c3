import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChangePasswordForm } from "@/components/ChangePasswordForm";
import { SignOutEverywhereButton } from "@/components/SignOutEverywhereButton";

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

let fetchMock: ReturnType<typeof vi.fn>;
let assign: ReturnType<typeof vi.fn<(url: string | URL) => void>>;
beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
  assign = vi.fn<(url: string | URL) => void>();
  vi.spyOn(window.location, "assign").mockImplementation(assign);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function fill(current: string, next: string, again = next) {
  fireEvent.change(screen.getByLabelText("Current password"), { target: { value: current } });
  fireEvent.change(screen.getByLabelText("New password"), { target: { value: next } });
  fireEvent.change(screen.getByLabelText("New password again"), { target: { value: again } });
}
const submit = () => act(async () => fireEvent.click(screen.getByRole("button", { name: "Change password" })));

describe("ChangePasswordForm", () => {
  it("sends the current and the new password and confirms the change", async () => {
    fetchMock.mockResolvedValue(json(200, { passwordChanged: true, signedIn: true }));
    render(<ChangePasswordForm />);
    fill("old-password-1", "new-password-2");
    await submit();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/api/auth/password");
    expect(init.method).toBe("POST");
    expect(JSON.parse(init.body)).toEqual({ currentPassword: "old-password-1", newPassword: "new-password-2" });
    const done = await screen.findByTestId("password-changed");
    expect(done.textContent).toMatch(/password is changed/);
    expect(done.textContent).toMatch(/every other device/);
    expect((screen.getByLabelText("Current password") as HTMLInputElement).value).toBe("");
    expect(assign).not.toHaveBeenCalled();
  });

  it("does not send anything when the two new passwords differ, and says so at the field", async () => {
    render(<ChangePasswordForm />);
    fill("old-password-1", "new-password-2", "new-password-3");
    await submit();
    expect(fetchMock).not.toHaveBeenCalled();
    const again = screen.getByLabelText("New password again");
    expect(again.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(again.getAttribute("aria-describedby")!.split(" ").pop()!)?.textContent).toMatch(/not the same/);
  });

  it("shows the API's words next to the field it refused", async () => {
    fetchMock.mockResolvedValue(
      json(400, { status: 400, title: "Password not acceptable", errors: { NewPassword: ["Password must be at least 10 characters."] } }),
    );
    render(<ChangePasswordForm />);
    fill("old-password-1", "short");
    await submit();
    const field = screen.getByLabelText("New password");
    await waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByText("Password must be at least 10 characters.")).toBeTruthy();
  });

  it("shows the ProblemDetails detail when the current password is wrong", async () => {
    fetchMock.mockResolvedValue(json(403, { status: 403, title: "Forbidden", detail: "The current password is wrong." }));
    render(<ChangePasswordForm />);
    fill("wrong-password-1", "new-password-2");
    await submit();
    expect((await screen.findByRole("alert")).textContent).toBe("The current password is wrong.");
    expect(assign).not.toHaveBeenCalled();
  });

  it("sends the user to sign in with the new password when signing in again failed", async () => {
    fetchMock.mockResolvedValue(json(200, { passwordChanged: true, signedIn: false }));
    render(<ChangePasswordForm />);
    fill("old-password-1", "new-password-2");
    await submit();
    expect(assign).toHaveBeenCalledWith("/signin?reason=password-changed");
  });

  it("sends the user to sign in when the session is over (401)", async () => {
    fetchMock.mockResolvedValue(json(401, { status: 401, title: "Session expired" }));
    render(<ChangePasswordForm />);
    fill("old-password-1", "new-password-2");
    await submit();
    expect(assign).toHaveBeenCalledTimes(1);
    expect(assign.mock.calls[0][0]).toMatch(/^\/signin\?reason=expired/);
  });
});

describe("SignOutEverywhereButton", () => {
  it("posts to the revoke route and lands on sign-in", async () => {
    fetchMock.mockResolvedValue(json(200, { signedOut: true, everywhere: true }));
    render(<SignOutEverywhereButton />);
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Sign out everywhere" })));
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/api/auth/sessions/revoke");
    expect(init.method).toBe("POST");
    expect(assign).toHaveBeenCalledWith("/signin?reason=signed-out-everywhere");
  });

  it("says why when it could not sign out", async () => {
    fetchMock.mockResolvedValue(json(503, { status: 503, title: "API unreachable", detail: "The Storefleet API cannot be reached right now. Try again in a moment." }));
    render(<SignOutEverywhereButton />);
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Sign out everywhere" })));
    expect((await screen.findByRole("alert")).textContent).toMatch(/cannot be reached/);
    expect(assign).not.toHaveBeenCalled();
  });
});
