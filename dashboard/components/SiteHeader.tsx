import Link from "next/link";
import { NavLinks } from "./NavLinks";
import { SignOutButton } from "./SignOutButton";

/** The bar on every signed-in page: where you are, who you are, and the way out. */
export function SiteHeader({ email, isAdmin }: { email: string; isAdmin: boolean }) {
  return (
    <header className="site-header">
      <div className="inner">
        <Link href="/stores" className="brand">
          Storefleet
        </Link>
        <NavLinks isAdmin={isAdmin} />
        <div className="account">
          <span className="email" aria-label="Signed in as">
            {email}
            {isAdmin ? " (admin)" : ""}
          </span>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
