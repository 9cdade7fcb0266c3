"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

export function NavLinks({ isAdmin }: { isAdmin: boolean }) {
  const path = usePathname();
  const current = (prefix: string) => (path === prefix || path.startsWith(prefix + "/") ? "page" : undefined);
  return (
    <nav className="site-nav" aria-label="Main">
      <Link href="/stores" aria-current={current("/stores")}>
        Stores
      </Link>
      {isAdmin && (
        <Link href="/admin" aria-current={current("/admin")}>
          Admin
        </Link>
      )}
      <Link href="/account" aria-current={current("/account")}>
        Account
      </Link>
    </nav>
  );
}
