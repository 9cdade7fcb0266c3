import { getPlatform } from "@/lib/server/session";

/** Says plainly when stores are simulated, so nobody mistakes a demo store for a real shop. */
export async function PlatformBanner() {
  const platform = await getPlatform();
  if (!platform?.simulated) return null;
  return (
    <div className="banner" role="region" aria-label="Platform notice">
      <div className="inner">
        <strong>Simulated cluster.</strong>{" "}
        {platform.message || "Stores are simulated: they go through every step, but no real shop is created."}
      </div>
    </div>
  );
}
