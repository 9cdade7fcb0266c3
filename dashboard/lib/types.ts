// Shapes of the Storefleet API (JSON, camelCase). Kept in one place so server and client agree.

export type StoreStatus = "Pending" | "Provisioning" | "Ready" | "Error" | "Deleting" | "Restoring";

export interface StoreCondition {
  type: string;
  status: "True" | "False" | "Unknown" | string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface Store {
  id: string;
  name: string;
  slug: string;
  engine: string;
  status: StoreStatus;
  message: string | null;
  conditions: StoreCondition[];
  urls: { storefront: string; admin: string } | null;
  createdAt: string;
  updatedAt: string;
  /** The store chart version that runs; while a fleet upgrade moves the store, targetChartVersion is where it goes. */
  chartVersion?: string | null;
  targetChartVersion?: string | null;
}

/** Skipped: nothing was backed up, by design (a pre-upgrade backup of a store whose chart has no backup template). */
export type BackupState = "Pending" | "Running" | "Completed" | "Failed" | "Skipped";

export interface Backup {
  id: string;
  state: BackupState;
  createdAt: string;
  completedAt: string | null;
  sizeBytes: number | null;
  kind: "manual" | "scheduled" | "pre-upgrade" | string;
  message: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface StoreEvent {
  id: number;
  time: string;
  type: "Normal" | "Warning" | string;
  reason: string;
  message: string;
}

export interface Quota {
  used: number;
  limit: number;
}

export interface Me {
  id: string;
  email: string;
  role: "tenant" | "admin" | string;
  createdAt: string;
  quota: Quota;
}

export interface Platform {
  cluster: "simulated" | "kubernetes" | string;
  simulated: boolean;
  message: string;
}

export interface Credentials {
  username: string;
  password: string;
  adminUrl: string;
}

export interface AdminStore {
  store: Store;
  ownerId: string;
  ownerEmail: string;
}

export interface AuditEntry {
  id: number;
  time: string;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  targetId: string | null;
  targetName: string | null;
  sourceIp: string | null;
  outcome: string;
  detail: string | null;
}

/** RFC 9457 problem details, as every API error is shaped. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Record<string, string[]>;
  quota?: Quota;
  retryAfterSeconds?: number;
  [extension: string]: unknown;
}

export interface ChartVersion {
  version: string;
  stores: number;
  default: boolean;
  synthetic: boolean;
  installable: boolean;
}

export type RolloutState = "Running" | "Paused" | "Completed" | "RollingBack" | "RolledBack" | "Aborted";

export interface FailingStore {
  id: string;
  slug: string;
  name: string;
  status: StoreStatus;
  message: string | null;
}

export interface Wave {
  percent: number;
  stores: number;
  upgraded: number;
  ready: number;
  failed: number;
  state: "Pending" | "Running" | "Succeeded" | "Failed";
  startedAt: string | null;
  finishedAt: string | null;
  failingStores: FailingStore[];
}

export interface Rollout {
  id: string;
  fromVersion: string | null;
  toVersion: string;
  state: RolloutState;
  reason: string;
  maxFailures: number;
  pauseBetweenWaves: string;
  waveTimeout: string;
  waves: Wave[];
  rollback: { stores: number; ready: number; failed: number } | null;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}
