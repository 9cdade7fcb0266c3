import type { Metadata } from "next";
import { StoresView } from "@/components/StoresView";
import { getMe, requireToken, serverGet } from "@/lib/server/session";
import type { Page, Store } from "@/lib/types";

export const metadata: Metadata = { title: "Your stores" };

/** Enough pages for any tenant's quota; beyond this the list says it shows the newest ones. */
const MAX_PAGES = 10;

export default async function StoresPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const token = await requireToken();
  const [me, params] = await Promise.all([getMe(), searchParams]);
  const stores: Store[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page: Page<Store> = await serverGet<Page<Store>>(`/stores?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, token);
    stores.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const deleted = typeof params.deleted === "string" ? params.deleted : "";
  const notice = deleted ? `Deleting “${deleted}”. It disappears from the list once everything it owns is removed.` : undefined;
  return <StoresView initialStores={stores} complete={cursor === null} quota={me.quota} notice={notice} />;
}
