import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { StoreDetail } from "@/components/StoreDetail";
import { ApiError, requireToken, serverGet } from "@/lib/server/session";
import type { Page, Store, StoreEvent } from "@/lib/types";

export const metadata: Metadata = { title: "Store" };

const ID = /^[0-9a-fA-F-]{36}$/;

export default async function StorePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!ID.test(id)) notFound();
  const token = await requireToken();
  try {
    const [store, events] = await Promise.all([
      serverGet<Store>(`/stores/${id}`, token),
      serverGet<Page<StoreEvent>>(`/stores/${id}/events`, token),
    ]);
    return <StoreDetail initialStore={store} initialEvents={events.items} />;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) notFound();
    throw e;
  }
}
