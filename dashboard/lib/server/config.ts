/** The API base URL, read on the server only: the browser never talks to the API directly. */
export function apiBaseUrl(): string {
  return (process.env.STOREFLEET_API_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
}

/** The httpOnly cookie that carries the API access token. */
export const SESSION_COOKIE = "sf_session";
