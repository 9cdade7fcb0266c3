import type { Metadata } from "next";
import { AdminView } from "@/components/AdminView";
import { getMe, requireToken, serverGet } from "@/lib/server/session";
import type { AdminStore, AuditEntry, ChartVersion, Page, Rollout } from "@/lib/types";

export const metadata: Metadata = { title: "Admin" };

export default async function AdminPage() {
  const token = await requireToken();
  const me = await getMe();
  if (me.role !== "admin") {
    return (
      <div className="card empty" role="alert">
        <h1>Administrators only</h1>
        <p>This page shows every tenant&apos;s stores and the audit log. Your account does not have the admin role.</p>
      </div>
    );
  }
  const [stores, audit, versions, rollouts] = await Promise.all([
    serverGet<Page<AdminStore>>("/admin/stores?limit=50", token),
    serverGet<Page<AuditEntry>>("/admin/audit?limit=50", token),
    serverGet<{ items: ChartVersion[] }>("/admin/chart-versions", token),
    serverGet<{ items: Rollout[] }>("/admin/upgrades", token),
  ]);
  return <AdminView initialStores={stores} initialAudit={audit} initialVersions={versions.items} initialRollouts={rollouts.items} />;
}
