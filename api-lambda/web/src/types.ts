// The API's shapes the console reads (see /api/v1/openapi.json).

export type Role = "administrator" | "radiologist" | "facility_user";

export interface User {
  id: string;
  username: string;
  email: string;
  role: Role;
  facility_id?: string | null;
  active: boolean;
  verified: boolean;
  created_at: string;
  updated_at: string;
  revision: number;
}

export interface Session {
  user: User;
  csrf_token: string;
  expires_at: string;
}

export interface Facility {
  id: string;
  name: string;
  address: string;
  phone: string;
  email: string;
  license_number: string;
  ae_title: string;
  allowed_networks: string[];
  move_destinations: MoveDestination[];
  /** Days studies are kept after their last receipt; null keeps them for ever. */
  retention_days: number | null;
  active: boolean;
  created_at: string;
  updated_at: string;
  revision: number;
}

/** A DICOM node of the facility that C-MOVE may send to. */
export interface MoveDestination {
  ae_title: string;
  host: string;
  port: number;
}

export interface FacilityEntry {
  id: string;
  name: string;
  ae_title: string;
  active: boolean;
}

export interface FacilityStats {
  studies: number;
  instances: number;
  bytes: number;
  associations_accepted: number;
  associations_rejected: number;
  last_received_at?: string | null;
}

export interface DicomSheet {
  facility: string;
  called_ae_title: string;
  calling_ae_title: string;
  host: string;
  port: number;
  tls_port?: number | null;
  allowed_networks: string[];
  active: boolean;
}

export type StudyStatus = "received" | "in_review" | "reported";
export type Priority = "routine" | "urgent" | "stat";

export interface Study {
  id: string;
  facility_id: string;
  study_instance_uid: string;
  patient_name?: string | null;
  patient_id?: string | null;
  patient_birth_date?: string | null;
  patient_sex?: string | null;
  study_date?: string | null;
  study_time?: string | null;
  accession_number?: string | null;
  description?: string | null;
  referring_physician?: string | null;
  modalities: string[];
  series_count: number;
  instance_count: number;
  total_bytes: number;
  status: StudyStatus;
  priority: Priority;
  received_at: string;
  last_received_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface Instance {
  series_instance_uid: string;
  sop_instance_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  instance_number?: number | null;
  size_bytes: number;
  received_at: string;
}

export interface Series {
  series_instance_uid: string;
  modality?: string | null;
  series_number?: number | null;
  description?: string | null;
  instance_count: number;
  total_bytes: number;
}

export interface StudyDetail extends Study {
  series: Series[];
  instances: Instance[];
}

export type ReportStatus = "draft" | "final" | "amended";

export interface ReportVersion {
  version: number;
  status: ReportStatus;
  body: string;
  author: string;
  author_name?: string | null;
  created_at: string;
  finalised_at?: string | null;
}

export interface Report {
  study_id: string;
  current?: ReportVersion | null;
  history: ReportVersion[];
  revision: number;
}

export interface AuditEvent {
  id: string;
  at: string;
  kind: string;
  actor: { type: string; username?: string; ae_title?: string; id?: string };
  facility_id?: string | null;
  peer_address?: string | null;
  details?: Record<string, unknown> | null;
}

export interface Ban {
  address: string;
  reason: string;
  failures: number;
  banned_at: string;
  expires_at: string;
}

export interface ReceiverView {
  id: string;
  host: string;
  version: string;
  started_at: string;
  reported_at: string;
  open_associations: number;
  draining: boolean;
  reporting: boolean;
}

/** New studies and new instances on one UTC day. */
export interface DayCounts {
  day: string;
  studies: number;
  instances: number;
}

export interface ActivityView {
  from: string;
  to: string;
  /** Every facility the user may read, together; every day, oldest first. */
  days: DayCounts[];
  /** Facilities that sent anything in the window. */
  facilities: Array<{ facility_id: string; days: DayCounts[] }>;
}

/** Associations refused over the last 24 whole UTC hours, by reason, most first. */
export interface RefusalsView {
  since: string;
  reasons: Array<{ reason: string; refusals: number }>;
}

/** What a deletion took (DELETE on a study, series or instance). */
export interface Deletion {
  id: string;
  level: "study" | "series" | "instance";
  instances: number;
  bytes: number;
}
