import type { Quota } from "@/lib/types";

export function QuotaMeter({ quota }: { quota: Quota }) {
  const full = quota.used >= quota.limit;
  return (
    <div className="quota" data-testid="quota">
      <label className="label" htmlFor="quota-meter">
        Stores used: <strong>{quota.used}</strong> of {quota.limit}
      </label>
      <meter id="quota-meter" min={0} max={Math.max(quota.limit, 1)} value={quota.used} low={Math.max(quota.limit - 1, 0)} high={quota.limit} optimum={0}>
        {quota.used} of {quota.limit}
      </meter>
      {full && <p className="small muted">Quota reached: delete a store to create another.</p>}
    </div>
  );
}
