import { SiteHeader } from "@/components/SiteHeader";
import { PlatformBanner } from "@/components/PlatformBanner";
import { getMe } from "@/lib/server/session";

// Every page in here needs a signed-in user; getMe sends anyone else to sign in.
export default async function SignedInLayout({ children }: { children: React.ReactNode }) {
  const me = await getMe();
  return (
    <>
      <SiteHeader email={me.email} isAdmin={me.role === "admin"} />
      <PlatformBanner />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
